//! The `reshimu-collector` command line.

fn main() -> anyhow::Result<()> {
    Ok(())
}
