//! How subcommands reach ClickHouse.

use clap::Args;

/// Connection options shared by the subcommands that talk to ClickHouse.
#[derive(Debug, Args)]
pub struct ClickHouseArgs {
    /// ClickHouse HTTP interface, e.g. http://localhost:8123.
    #[arg(long, env = "CLICKHOUSE_URL", value_name = "URL")]
    pub clickhouse_url: Option<String>,
    /// ClickHouse user [default: the server's default user].
    #[arg(long, env = "CLICKHOUSE_USER", value_name = "USER")]
    pub user: Option<String>,
    /// ClickHouse password; prefer the environment variable over the flag,
    /// which other users can see in the process list.
    #[arg(
        long,
        env = "CLICKHOUSE_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub password: Option<String>,
}

impl ClickHouseArgs {
    /// A client for `url` with the credentials given. No default database is
    /// set: statements name theirs, and it may not exist yet.
    pub fn client(&self, url: &str) -> clickhouse::Client {
        let mut client = clickhouse::Client::default().with_url(url);
        if let Some(user) = &self.user {
            client = client.with_user(user);
        }
        if let Some(password) = &self.password {
            client = client.with_password(password);
        }
        client
    }
}
