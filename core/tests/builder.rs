//! Building a logger: what a RUST_LOG-style baseline asks of the handlers.
#![allow(clippy::unwrap_used)]

use dynlog_core::handler::{ConsoleHandler, NullHandler};
use dynlog_core::{DynamicLogger, Error, Level};

#[test]
fn a_spec_without_a_console_handler_says_what_to_declare() {
    let err = DynamicLogger::builder()
        .handler("null", NullHandler)
        .baseline_spec("info,myapp=debug")
        .unwrap()
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Invalid {
                field: "baseline spec",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(".handler(\"console\""), "{err}");

    // With one declared, or with the root's handlers given before the spec, it builds.
    let logger = DynamicLogger::builder()
        .handler("console", ConsoleHandler::stderr())
        .baseline_spec("info,myapp=debug")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(logger.effective_level("myapp::x"), Level::Debug);
    let logger = DynamicLogger::builder()
        .handler("null", NullHandler)
        .baseline_json(r#"{"loggers": {"": {"handlers": ["null"]}}}"#)
        .unwrap()
        .baseline_spec("warn")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(logger.effective_level("x"), Level::Warn);
}
