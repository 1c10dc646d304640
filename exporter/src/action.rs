//! A proposed action, described with the same attributes its span will carry,
//! so [`Session::check`](crate::Session::check) judges it exactly as the
//! collector will judge the span afterwards. The type lives in
//! `reshimu-intent` so that every SDK (this one, the Python binding) builds
//! actions the same way.

pub use reshimu_intent::action::Action;
