//! [`FileHandler`]: appends to a file and follows its rotation.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use log::Record;

use super::format::Formatted;
use super::{Handler, lock};

/// Appends to a file, formatted as the console is, without colour.
///
/// The file is opened on the first record. It is reopened when [`FileHandler::reopen`] is
/// called, after a write error, and when the path no longer names the open file (checked at
/// most once a second), so logrotate's move-and-create works without a signal.
pub struct FileHandler {
    path: PathBuf,
    file: Arc<Mutex<FileState>>,
    out: Formatted,
}

struct FileState {
    path: PathBuf,
    file: Option<File>,
    checked: Instant,
}

impl FileState {
    fn file(&mut self) -> io::Result<&mut File> {
        if self.checked.elapsed() >= Duration::from_secs(1) {
            self.checked = Instant::now();
            if self.file.is_some() && !self.still_at_path() {
                self.file = None;
            }
        }
        let file = match self.file.take() {
            Some(file) => file,
            None => OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?,
        };
        Ok(self.file.insert(file))
    }

    #[cfg(unix)]
    fn still_at_path(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        let (Some(file), Ok(at_path)) = (&self.file, std::fs::metadata(&self.path)) else {
            return false;
        };
        file.metadata()
            .is_ok_and(|open| open.ino() == at_path.ino() && open.dev() == at_path.dev())
    }

    #[cfg(not(unix))]
    fn still_at_path(&self) -> bool {
        self.path.exists()
    }
}

struct FileWriter(Arc<Mutex<FileState>>);

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = lock(&self.0);
        let result = state.file().and_then(|file| file.write_all(buf));
        if result.is_err() {
            // Reopen on the next record: the file may have been removed or the disk freed.
            state.file = None;
        }
        result.map(|()| buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut lock(&self.0).file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl FileHandler {
    /// Appends to `path`, creating it on the first record.
    pub fn new(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let file = Arc::new(Mutex::new(FileState {
            path: path.clone(),
            file: None,
            checked: Instant::now(),
        }));
        let out = Formatted::new(FileWriter(Arc::clone(&file)), false);
        FileHandler { path, file, out }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the file; the next record opens the path again.
    pub fn reopen(&self) {
        lock(&self.file).file = None;
    }
}

impl fmt::Debug for FileHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileHandler")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Handler for FileHandler {
    fn handle(&self, record: &Record<'_>) -> io::Result<()> {
        self.out.handle(record)
    }

    fn flush(&self) -> io::Result<()> {
        match &mut lock(&self.file).file {
            Some(file) => file.sync_data(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::tests::record_at;

    #[test]
    fn file_appends_and_follows_rotation() {
        let dir = std::env::temp_dir().join(format!("dynlog-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.log");
        let _ = std::fs::remove_file(&path);
        let handler = FileHandler::new(&path);
        record_at(log::Level::Info, "a", "first", |r| {
            handler.handle(r).unwrap()
        });
        std::fs::rename(&path, dir.join("app.log.1")).unwrap();
        handler.reopen();
        record_at(log::Level::Info, "a", "second", |r| {
            handler.handle(r).unwrap()
        });
        let rotated = std::fs::read_to_string(dir.join("app.log.1")).unwrap();
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(
            rotated.contains("first") && !rotated.contains("second"),
            "{rotated}"
        );
        assert!(current.contains("INFO  a] second"), "{current}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn file_handler_reports_unwritable_path() {
        let handler = FileHandler::new("/nonexistent-dir-dynlog/app.log");
        record_at(log::Level::Info, "a", "x", |r| {
            assert!(handler.handle(r).is_err())
        });
    }
}
