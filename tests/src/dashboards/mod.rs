//! Test support for the Grafana dashboards in `dashboards/`: loading the
//! JSON and provisioning files, expanding queries the way Grafana and the
//! ClickHouse plugin do, and running them on a database a real collector
//! seeded.

pub mod collect;
pub mod engine;
pub mod load;
pub mod macros;
pub mod seed;
pub mod typecheck;
