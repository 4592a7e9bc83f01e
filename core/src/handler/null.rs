//! [`NullHandler`]: the seed's `null` handler.

use std::io;

use log::Record;

use super::Handler;

/// Discards every record (the seed's `null` handler).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullHandler;

impl Handler for NullHandler {
    fn handle(&self, _record: &Record<'_>) -> io::Result<()> {
        Ok(())
    }
}
