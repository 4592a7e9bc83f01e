//! The file handler: buffering and its flushes, following logrotate, rotation under load,
//! formats.

use std::sync::Arc;

use super::*;
use crate::handler::lock;
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
fn a_background_write_that_failed_is_returned_by_the_next_record() {
    let handler = FileHandler::builder("/nonexistent-dir-dynlog/app.log")
        .flush_every(Duration::from_millis(20))
        .build();
    // Below error a record is only buffered: it succeeds, and the flusher's write fails.
    record_at(log::Level::Info, "a", "buffered", |r| {
        handler.handle(r).unwrap()
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut result = Ok(());
        record_at(log::Level::Info, "a", "next", |r| {
            result = handler.handle(r)
        });
        if let Err(error) = result {
            assert_eq!(error.kind(), std::io::ErrorKind::NotFound, "{error}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the flusher's error was never returned"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
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

/// Every line in every file of a rotated handler, decompressing `.gz` ones, and how many files.
/// Checks that no uncompressed file is past `max` bytes and that no `.part` is left.
fn lines_in(dir: &Path, max: u64) -> (Vec<String>, usize) {
    let (mut lines, mut files) = (Vec::new(), 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert!(path.extension().is_none_or(|e| e != "part"), "{path:?}");
        let text = if path.extension().is_some_and(|e| e == "gz") {
            let mut text = String::new();
            io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(File::open(&path).unwrap()),
                &mut text,
            )
            .unwrap();
            text
        } else {
            let text = read(&path);
            assert!(text.len() as u64 <= max, "{path:?}: {} bytes", text.len());
            text
        };
        files += 1;
        lines.extend(text.lines().map(str::to_owned));
    }
    (lines, files)
}

/// Ends the handler's current time period, as if the clock had passed midnight.
fn end_period(handler: &FileHandler) {
    if let Out::Rotating(rotating) = &mut lock(&handler.inner.sink).out {
        rotating.end_period();
    }
}

/// 4 threads write enough for 20 rotations of 16 KiB; every record is in one of the files, once
/// and whole. By size alone, compressed or not, and by size and time together (a period
/// ending every few milliseconds meanwhile).
#[test]
fn rotation_under_load_loses_nothing() {
    let size = 16 * 1024;
    for (rotation, by_time) in [
        (Rotation::size(size), false),
        (Rotation::size(size).compress(), false),
        (Rotation::daily().max_size(size).compress(), true),
        (Rotation::hourly().max_size(size), true),
    ] {
        let dir = TempDir::new("rotate");
        let path = dir.0.join("app.log");
        let handler = FileHandler::builder(&path)
            .rotate(rotation.clone())
            .buffer(4096)
            .build();
        let writing = std::sync::atomic::AtomicUsize::new(4);
        let mut periods_ended = 0;
        // ~60 bytes a line, 4 × 1800 lines: about 420 KiB, over 20 files of 16 KiB.
        std::thread::scope(|s| {
            for t in 0..4 {
                let (handler, writing) = (&handler, &writing);
                s.spawn(move || {
                    for i in 0..1800 {
                        record_at(log::Level::Info, "load", &format!("t{t} r{i:05}"), |r| {
                            handler.handle(r).unwrap()
                        });
                    }
                    writing.fetch_sub(1, Ordering::Relaxed);
                });
            }
            while by_time && writing.load(Ordering::Relaxed) > 0 {
                end_period(&handler);
                periods_ended += 1;
                std::thread::sleep(Duration::from_millis(3));
            }
        });
        handler.shutdown().unwrap();
        let (lines, files) = lines_in(&dir.0, size);
        assert!(
            files > 20,
            "{rotation}: 20 rotations or more: {files} files"
        );
        assert_eq!(lines.len(), 7200, "{rotation}");
        let records: std::collections::BTreeSet<&str> = lines
            .iter()
            .map(|l| l.split("] ").nth(1).unwrap())
            .collect();
        assert_eq!(records.len(), 7200, "{rotation}: each record once");
        assert!(!by_time || periods_ended > 0);
    }
}

/// The file keeps its path; rotated ones are named after their records' period, with a counter
/// for more in one period; a file left from an earlier period is rotated at the first record.
#[test]
fn time_rotation_keeps_the_path_and_names_files_by_period() {
    let dir = TempDir::new("daily");
    let path = dir.0.join("app.log");
    std::fs::write(&path, "from two days ago\n").unwrap();
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    File::options()
        .append(true)
        .open(&path)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();
    let day = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d").to_string();
    let (then, today) = (day(two_days_ago.into()), day(chrono::Utc::now()));
    let handler = FileHandler::builder(&path)
        .rotate(Rotation::daily())
        .build();
    let log = |message: &str| {
        record_at(log::Level::Info, "a", message, |r| {
            handler.handle(r).unwrap()
        });
    };
    log("first today");
    end_period(&handler);
    log("second");
    end_period(&handler);
    log("third");
    handler.flush().unwrap();
    let at = |suffix: &str| read(&dir.0.join(format!("app.log{suffix}")));
    assert_eq!(at(&format!(".{then}")), "from two days ago\n");
    assert!(at(&format!(".{today}")).ends_with("] first today\n"));
    assert!(at(&format!(".{today}.1")).ends_with("] second\n"));
    assert!(at("").ends_with("] third\n"), "{}", at(""));
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 4);
}

/// Keeps the newest files across both triggers, compressed: what is left is the last records,
/// in order, with nothing missing between them (counters past 9 sort after 2).
#[test]
fn keep_removes_the_oldest_files() {
    for rotation in [
        Rotation::size(2048).keep(3),
        Rotation::hourly().max_size(2048).keep(3).compress(),
    ] {
        let dir = TempDir::new("keep");
        let path = dir.0.join("app.log");
        let handler = FileHandler::builder(&path)
            .rotate(rotation.clone())
            .buffer(1024)
            .build();
        for i in 0..1000 {
            if i % 150 == 0 {
                end_period(&handler);
            }
            record_at(log::Level::Info, "load", &format!("r{i:05}"), |r| {
                handler.handle(r).unwrap()
            });
        }
        handler.shutdown().unwrap();
        let names: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names.len(),
            4,
            "{rotation}: the file and 3 rotated: {names:?}"
        );
        assert!(
            names
                .iter()
                .all(|n| n == "app.log" || n.ends_with(".gz") == rotation.compress),
            "{names:?}"
        );
        let (lines, _) = lines_in(&dir.0, 2048);
        let mut numbers: Vec<usize> = lines
            .iter()
            .map(|l| l.rsplit("] r").next().unwrap().parse().unwrap())
            .collect();
        numbers.sort_unstable();
        let first = numbers[0];
        assert!(first > 0, "{rotation}: older lines went with older files");
        assert_eq!(numbers, (first..1000).collect::<Vec<_>>(), "{rotation}");
    }
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
