//! The dynlog guide. Each chapter is a markdown file in `docs/`; its Rust examples are compiled
//! and run as doctests of this crate.
