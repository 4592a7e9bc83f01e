//! A tracing event as a `log::Record`: target, level, the `message` field as its arguments, the
//! other fields as key-values, file, line and module path.

use std::cell::RefCell;
use std::fmt::{self, Write};

use log::kv::{self, Key, Value, VisitSource};
use tracing_core::Event;
use tracing_core::field::{Field, Visit};

/// A field's value as recorded (tracing lends values only for the call that records them).
enum Recorded {
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    /// A string, or anything else as its `Debug` text, in [`Fields::text`].
    Text(std::ops::Range<usize>),
}

/// An event's message and fields, kept in buffers reused from event to event.
#[derive(Default)]
pub(crate) struct Fields {
    message: String,
    text: String,
    pairs: Vec<(&'static str, Recorded)>,
}

impl Fields {
    fn clear(&mut self) {
        self.message.clear();
        self.text.clear();
        self.pairs.clear();
    }

    fn push_text(&mut self, field: &Field, write: impl FnOnce(&mut String)) {
        let start = self.text.len();
        write(&mut self.text);
        self.pairs
            .push((field.name(), Recorded::Text(start..self.text.len())));
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.push_text(field, |text| {
                let _ = write!(text, "{value:?}");
            });
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.push_text(field, |text| text.push_str(value));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push_text(field, |text| {
            let _ = write!(text, "{value}");
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.pairs.push((field.name(), Recorded::I64(value)));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.pairs.push((field.name(), Recorded::U64(value)));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.pairs.push((field.name(), Recorded::F64(value)));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.pairs.push((field.name(), Recorded::Bool(value)));
    }
}

impl kv::Source for Fields {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), kv::Error> {
        for (name, value) in &self.pairs {
            let value = match value {
                Recorded::I64(v) => Value::from(*v),
                Recorded::U64(v) => Value::from(*v),
                Recorded::F64(v) => Value::from(*v),
                Recorded::Bool(v) => Value::from(*v),
                Recorded::Text(range) => Value::from(&self.text[range.clone()]),
            };
            visitor.visit_pair(Key::from_str(name), value)?;
        }
        Ok(())
    }
}

thread_local! {
    static BUFFER: RefCell<Fields> = RefCell::new(Fields::default());
}

/// Runs `f` with `event` as a `log::Record`.
pub(crate) fn with_record<R>(event: &Event<'_>, f: impl FnOnce(&log::Record<'_>) -> R) -> R {
    let mut f = Some(f);
    let reused = BUFFER.try_with(|buffer| {
        // A handler that emits a tracing event re-enters with the buffer borrowed: it takes
        // buffers of its own below.
        let mut fields = buffer.try_borrow_mut().ok()?;
        fields.clear();
        f.take().map(|f| build(event, &mut fields, f))
    });
    match (reused, f) {
        (Ok(Some(result)), _) => result,
        (_, Some(f)) => build(event, &mut Fields::default(), f),
        (_, None) => unreachable!("with_record: `f` ran, so its result was returned"),
    }
}

fn build<R>(event: &Event<'_>, fields: &mut Fields, f: impl FnOnce(&log::Record<'_>) -> R) -> R {
    event.record(fields);
    let meta = event.metadata();
    let fields = &*fields;
    f(&log::Record::builder()
        .level(crate::log_level(meta.level()))
        .target(meta.target())
        .args(format_args!("{}", fields.message))
        .key_values(fields)
        .file_static(meta.file())
        .line(meta.line())
        .module_path_static(meta.module_path())
        .build())
}
