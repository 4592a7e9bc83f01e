//! The dynlog guide. Each chapter is a markdown file in `docs/guide/`; its Rust examples are
//! compiled and run as doctests of this crate (`cargo test -p dynlog-docs`).

#[doc = include_str!("../guide/getting-started.md")]
pub mod getting_started {}

#[doc = include_str!("../guide/your-own-app.md")]
pub mod your_own_app {}

#[doc = include_str!("../guide/concepts.md")]
pub mod concepts {}

#[doc = include_str!("../guide/admin.md")]
pub mod admin {}

#[doc = include_str!("../guide/extending.md")]
pub mod extending {}

#[doc = include_str!("../guide/from-django.md")]
pub mod from_django {}

#[doc = include_str!("../guide/stores-and-propagators.md")]
pub mod stores_and_propagators {}

#[doc = include_str!("../guide/production.md")]
pub mod production {}

#[doc = include_str!("../guide/scoped-debugging.md")]
pub mod scoped_debugging {}

#[doc = include_str!("../guide/security.md")]
pub mod security {}

#[doc = include_str!("../guide/api.md")]
pub mod api {}

#[doc = include_str!("../guide/performance.md")]
pub mod performance {}

#[doc = include_str!("../guide/operations.md")]
pub mod operations {}

#[doc = include_str!("../guide/tracing.md")]
pub mod tracing {}
