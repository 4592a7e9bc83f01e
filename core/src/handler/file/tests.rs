//! The file handler: buffering and its flushes, following logrotate, rotation under load,
//! formats.

use std::sync::Arc;

use super::*;
use crate::handler::tests::record_at;

/// A directory of its own under the system's temporary directory, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "dynlog-{name}-{}-{:?}",
            std::process::id(),
            Instant::now()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn file_appends_and_follows_rotation() {
    let dir = TempDir::new("file");
    let path = dir.0.join("app.log");
    let handler = FileHandler::new(&path);
    record_at(log::Level::Info, "a", "first", |r| {
        handler.handle(r).unwrap()
    });
    handler.flush().unwrap();
    std::fs::rename(&path, dir.0.join("app.log.1")).unwrap();
    handler.reopen();
    record_at(log::Level::Info, "a", "second", |r| {
        handler.handle(r).unwrap()
    });
    handler.flush().unwrap();
    let rotated = read(&dir.0.join("app.log.1"));
    let current = read(&path);
    assert!(
        rotated.contains("first") && !rotated.contains("second"),
        "{rotated}"
    );
    assert!(current.contains("INFO  a] second"), "{current}");
}

#[test]
fn file_handler_reports_unwritable_path() {
    let handler = FileHandler::new("/nonexistent-dir-dynlog/app.log");
    // An error record is written at once, so its failure is returned at once.
    record_at(log::Level::Error, "a", "x", |r| {
        assert!(handler.handle(r).is_err())
    });
}

#[test]
fn records_wait_in_the_buffer_until_a_flush_an_error_or_the_flusher() {
    let dir = TempDir::new("buffer");
    let path = dir.0.join("app.log");
    let handler = FileHandler::builder(&path)
        .flush_every(Duration::from_millis(200))
        .build();
    record_at(log::Level::Info, "a", "buffered", |r| {
        handler.handle(r).unwrap()
    });
    assert_eq!(read(&path), "", "buffered, not written");
    record_at(log::Level::Error, "a", "failed", |r| {
        handler.handle(r).unwrap()
    });
    let text = read(&path);
    assert!(
        text.contains("buffered") && text.contains("failed"),
        "an error writes what is buffered before it: {text}"
    );
    record_at(log::Level::Warn, "a", "later", |r| {
        handler.handle(r).unwrap()
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while !read(&path).contains("later") {
        assert!(Instant::now() < deadline, "the flusher writes it");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// 4 threads, then shutdown: every record is in the file, once, whole.
#[test]
fn nothing_is_lost_at_shutdown() {
    let dir = TempDir::new("shutdown");
    let path = dir.0.join("app.log");
    let handler = Arc::new(
        FileHandler::builder(&path)
            .flush_every(Duration::from_secs(60))
            .build(),
    );
    std::thread::scope(|s| {
        for t in 0..4 {
            let handler = &handler;
            s.spawn(move || {
                for i in 0..5_000 {
                    record_at(log::Level::Info, "load", &format!("t{t} r{i}"), |r| {
                        handler.handle(r).unwrap()
                    });
                }
            });
        }
    });
    handler.shutdown().unwrap();
    let text = read(&path);
    assert_eq!(text.lines().count(), 20_000);
    assert!(
        text.lines()
            .all(|l| l.starts_with('[') && l.contains("] t"))
    );
    // After shutdown records are written at once.
    record_at(log::Level::Info, "a", "after", |r| {
        handler.handle(r).unwrap()
    });
    assert!(read(&path).ends_with("] after\n"));
}

/// Lines across every file of a rotated handler, decompressing `.gz` ones.
fn lines_in(dir: &Path) -> (usize, usize) {
    let (mut lines, mut files) = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = if path.extension().is_some_and(|e| e == "gz") {
            let mut text = String::new();
            io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(File::open(&path).unwrap()),
                &mut text,
            )
            .unwrap();
            text
        } else {
            read(&path)
        };
        files += 1;
        lines += text.lines().count();
    }
    (lines, files)
}

/// 4 threads write enough for 20 rotations of 16 KiB; every record is in one of the files.
#[test]
fn rotation_under_load_loses_nothing() {
    for compress in [false, true] {
        let dir = TempDir::new("rotate");
        let path = dir.0.join("app.log");
        let mut rotation = Rotation::size(16 * 1024);
        if compress {
            rotation = rotation.compress();
        }
        let handler = FileHandler::builder(&path)
            .rotate(rotation)
            .buffer(4096)
            .build();
        // ~60 bytes a line, 4 × 1800 lines: about 420 KiB, over 20 files of 16 KiB.
        std::thread::scope(|s| {
            for t in 0..4 {
                let handler = &handler;
                s.spawn(move || {
                    for i in 0..1800 {
                        record_at(log::Level::Info, "load", &format!("t{t} r{i:05}"), |r| {
                            handler.handle(r).unwrap()
                        });
                    }
                });
            }
        });
        handler.shutdown().unwrap();
        let (lines, files) = lines_in(&dir.0);
        assert!(files > 20, "20 rotations or more: {files} files");
        assert_eq!(lines, 7200, "compress: {compress}");
    }
}

#[test]
fn keep_removes_the_oldest_files() {
    let dir = TempDir::new("keep");
    let path = dir.0.join("app.log");
    let handler = FileHandler::builder(&path)
        .rotate(Rotation::size(2048).keep(3))
        .buffer(1024)
        .build();
    for i in 0..1000 {
        record_at(log::Level::Info, "load", &format!("r{i:05}"), |r| {
            handler.handle(r).unwrap()
        });
    }
    handler.shutdown().unwrap();
    let (lines, files) = lines_in(&dir.0);
    assert_eq!(files, 4, "the file and 3 rotated ones");
    assert!(lines < 1000, "older lines went with older files");
    assert!(read(&path).contains("r00999") || read(&dir.0.join("app.log.1")).contains("r00999"));
}

fn with_kv(
    level: log::Level,
    message: &str,
    kvs: &[(&str, log::kv::Value<'_>)],
    f: impl FnOnce(&Record<'_>),
) {
    f(&Record::builder()
        .level(level)
        .target("shop")
        .args(format_args!("{message}"))
        .key_values(&kvs)
        .build());
}

#[test]
fn text_writes_key_values_after_the_message() {
    let dir = TempDir::new("kv");
    let path = dir.0.join("app.log");
    let handler = FileHandler::new(&path);
    with_kv(
        log::Level::Info,
        "paid",
        &[("user", 42.into()), ("name", "ann lee".into())],
        |r| handler.handle(r).unwrap(),
    );
    handler.flush().unwrap();
    assert!(
        read(&path).ends_with("INFO  shop] paid user=42 name=ann lee\n"),
        "{}",
        read(&path)
    );
}

#[test]
fn json_lines_have_the_fields_and_typed_values() {
    let dir = TempDir::new("json");
    let path = dir.0.join("app.json");
    let handler = FileHandler::builder(&path).format(Format::Json).build();
    with_kv(
        log::Level::Warn,
        "say \"hi\"\n\tnow",
        &[
            ("user", 42.into()),
            ("ok", true.into()),
            ("ratio", 0.5.into()),
            ("nan", f64::NAN.into()),
            ("who", "a\u{1}b".into()),
        ],
        |r| handler.handle(r).unwrap(),
    );
    handler.flush().unwrap();
    let text = read(&path);
    assert_eq!(text.lines().count(), 1, "{text}");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["level"], "WARN");
    assert_eq!(value["target"], "shop");
    assert_eq!(value["message"], "say \"hi\"\n\tnow");
    assert_eq!(
        value["kv"],
        serde_json::json!({"user": 42, "ok": true, "ratio": 0.5, "nan": "NaN", "who": "a\u{1}b"})
    );
    let ts = value["ts"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
}

proptest::proptest! {
    /// Any message and any key-values make one line of valid JSON that says them back.
    #[test]
    fn json_lines_are_valid_for_anything(
        message in proptest::prelude::any::<String>(),
        target in "[a-z:_]{0,20}",
        pairs in proptest::collection::vec((proptest::prelude::any::<String>(), proptest::prelude::any::<String>(), proptest::prelude::any::<i64>()), 0..5),
    ) {
        let mut line = Vec::new();
        let kvs: Vec<(&str, log::kv::Value<'_>)> = pairs
            .iter()
            .flat_map(|(k, v, n)| [(k.as_str(), log::kv::Value::from(v.as_str())), ("n", log::kv::Value::from(*n))])
            .collect();
        super::format::json(
            &mut line,
            &Record::builder()
                .level(log::Level::Info)
                .target(&target)
                .args(format_args!("{message}"))
                .key_values(&kvs)
                .build(),
        )
        .unwrap();
        let text = String::from_utf8(line).unwrap();
        proptest::prop_assert!(text.ends_with('\n'));
        proptest::prop_assert_eq!(text.matches('\n').count(), 1);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        proptest::prop_assert_eq!(value["message"].as_str().unwrap(), message.as_str());
        proptest::prop_assert_eq!(value["target"].as_str().unwrap(), target.as_str());
        for (k, v, _) in &pairs {
            // A key given twice keeps the last value in a parsed object.
            let last = pairs.iter().rev().find(|(k2, _, _)| k2 == k).map(|(_, v, _)| v).unwrap();
            if k != "n" {
                proptest::prop_assert_eq!(value["kv"][k.as_str()].as_str().unwrap(), last.as_str());
            }
            let _ = v;
        }
    }
}
