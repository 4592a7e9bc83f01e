//! The testapp's baseline: its handlers, filters and loggers, declared in code.

use dynlog_core::handler::{ConsoleHandler, FileHandler, Format, NullHandler, Rotation};
use dynlog_core::{DynamicLogger, MemoryHandler, Result};
use log::Record;

/// Words the `polite` filter keeps out of the logs.
const RUDE: &[&str] = &["damn", "stupid", "idiot"];

/// How the `file` handler writes: where, in which format, and how it rotates.
pub(crate) struct FileOutput<'a> {
    pub(crate) path: &'a str,
    pub(crate) format: Format,
    pub(crate) rotate: Option<Rotation>,
}

/// Builds the logger: console (stderr), file, null and memory (for the live tail) handlers;
/// `skip_static_requests` and `polite` filters; the app, actix-web and dynlog at info; query
/// logging under `diesel` at warn until a config says otherwise; then `spec` (RUST_LOG-style)
/// over that.
pub(crate) fn logger(
    file: FileOutput<'_>,
    memory: &MemoryHandler,
    spec: Option<&str>,
) -> Result<DynamicLogger> {
    let mut file_handler = FileHandler::builder(file.path).format(file.format);
    if let Some(rotation) = file.rotate {
        file_handler = file_handler.rotate(rotation);
    }
    let builder = DynamicLogger::builder()
        .handler("console", ConsoleHandler::stderr())
        .handler("file", file_handler.build())
        .handler("null", NullHandler)
        .handler("memory", memory.clone())
        .filter("skip_static_requests", skip_static_requests)
        .filter("polite", polite)
        .baseline_json(
            r#"{"loggers": {
                "": {"level": "info", "handlers": ["console", "memory"]},
                "dynlog_testapp": {"level": "info"},
                "actix_web": {"level": "info", "filters": ["skip_static_requests"]},
                "actix_server": {"level": "warn"},
                "dynlog": {"level": "info"},
                "diesel": {"level": "warn"}
            }}"#,
        )?;
    match spec {
        Some(spec) => builder.baseline_spec(spec)?.build(),
        None => builder.build(),
    }
}

/// Drops access-log records of static files.
fn skip_static_requests(record: &Record<'_>) -> bool {
    !record.args().to_string().contains(" /static/")
}

/// Drops records with rude words.
fn polite(record: &Record<'_>) -> bool {
    let message = record.args().to_string().to_lowercase();
    !RUDE.iter().any(|word| message.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynlog_core::Level;
    use log::Log;

    #[test]
    fn the_baseline_builds_and_filters() {
        let memory = MemoryHandler::new(10);
        let dir = std::env::temp_dir().join(format!("testapp-baseline-{}.log", std::process::id()));
        let logger = logger(
            FileOutput {
                path: dir.to_str().unwrap(),
                format: Format::Text,
                rotate: None,
            },
            &memory,
            Some("warn,dynlog_testapp::jobs=debug"),
        )
        .unwrap();
        assert_eq!(
            logger.effective_level("dynlog_testapp::jobs::import"),
            Level::Debug
        );
        assert_eq!(logger.effective_level("hyper"), Level::Warn);
        let log = |target: &str, message: &str| {
            logger.log(
                &Record::builder()
                    .level(log::Level::Warn)
                    .target(target)
                    .args(format_args!("{message}"))
                    .build(),
            )
        };
        log("actix_web::middleware::logger", "GET /static/app.css 200");
        log("actix_web::middleware::logger", "GET /admin 200");
        assert_eq!(memory.messages(), ["GET /admin 200"]);
        assert!(!polite(
            &Record::builder().args(format_args!("Damn!")).build()
        ));
        let _ = std::fs::remove_file(dir);
    }
}
