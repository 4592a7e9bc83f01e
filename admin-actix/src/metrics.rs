//! `GET <scope>/metrics`: the controller and the logger in the Prometheus text format, by
//! `prometheus-client` (the Prometheus project's own Rust client: a registry of our own rather
//! than a process-wide recorder, so the admin never fights the application's metrics).
//!
//! Read at each scrape from what core keeps (no store call): records handled per level and
//! handler, records dropped by each handler's budget, handler errors, configs applied, the revision, the running trigger, the seconds to
//! the next transition. Observed as they happen: how late each scheduled transition was applied
//! (a histogram, by `start` and `end`).

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use dynlog_core::Controller;
use dynlog_core::controller::{TransitionApplied, TransitionKind};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::AdminState;
use crate::api;
use crate::error::{ApiError, Error};
use crate::sync;

/// The lateness buckets, in seconds: from a millisecond to five minutes.
const LATE_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 300.0,
];

type Lateness = Family<[(&'static str, &'static str); 1], Histogram, fn() -> Histogram>;

/// The admin's registry: the lateness histogram it observes, and a collector reading the
/// controller at each scrape.
pub(crate) struct Metrics {
    registry: Registry,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The metrics of `controller`; from now on it reports each transition it applies to
    /// these metrics, instead of those of an admin built before for it (one observer per
    /// controller, however many admins are built).
    pub(crate) fn new(controller: &Controller) -> Metrics {
        let mut registry = Registry::with_prefix("dynlog");
        let lateness: Lateness = Family::new_with_constructor(|| Histogram::new(LATE_BUCKETS));
        // Both series from the first scrape, at zero: a histogram that appears only once a
        // window has started or ended on schedule reads as missing.
        for kind in [TransitionKind::Start, TransitionKind::End] {
            let _ = lateness.get_or_create(&[("kind", kind.as_str())]);
        }
        registry.register(
            "transition_lateness_seconds",
            "How late scheduled window starts and ends were applied, in seconds",
            lateness.clone(),
        );
        controller.on_transition("dynlog-actix metrics", move |t: &TransitionApplied| {
            lateness
                .get_or_create(&[("kind", t.kind.as_str())])
                .observe(t.late_seconds());
        });
        registry.register_collector(Box::new(Now {
            controller: controller.clone(),
        }));
        Metrics { registry }
    }

    /// The metrics, in the Prometheus text format.
    pub(crate) fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// What the controller and the logger say now, read at each scrape.
struct Now {
    controller: Controller,
}

impl std::fmt::Debug for Now {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Now").finish_non_exhaustive()
    }
}

/// A label value as a metric shows it: at most 120 characters of a name an operator typed.
fn label(value: &str) -> String {
    value.chars().take(120).collect()
}

impl Collector for Now {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = &self.controller;
        let stats = c.logger().handler_stats();

        let handled = ConstCounter::new(0u64);
        let mut family = encoder.encode_descriptor(
            "records_handled",
            "Records given to each handler, by level",
            None,
            handled.metric_type(),
        )?;
        for handler in &stats {
            for (level, count) in &handler.handled {
                let labels = [
                    ("handler", handler.name.as_str()),
                    ("level", level.as_str()),
                ];
                ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
            }
        }

        let mut family = encoder.encode_descriptor(
            "records_dropped",
            "Records a handler's budget (max_per_second) dropped",
            None,
            handled.metric_type(),
        )?;
        for handler in &stats {
            let labels = [("handler", handler.name.as_str())];
            ConstCounter::new(handler.dropped).encode(family.encode_family(&labels)?)?;
        }

        let mut family = encoder.encode_descriptor(
            "handler_errors",
            "Records a handler failed to write",
            None,
            handled.metric_type(),
        )?;
        for handler in &stats {
            let labels = [("handler", handler.name.as_str())];
            ConstCounter::new(handler.errors).encode(family.encode_family(&labels)?)?;
        }

        ConstCounter::new(c.applies()).encode(encoder.encode_descriptor(
            "applies",
            "Configs (or the baseline) applied since the start",
            None,
            handled.metric_type(),
        )?)?;

        let status = c.status();
        let gauge = ConstGauge::new(0i64);
        ConstGauge::new(status.revision).encode(encoder.encode_descriptor(
            "revision",
            "The store revision this instance has applied",
            None,
            gauge.metric_type(),
        )?)?;

        // The running trigger as an info-style gauge: 1 with its id and names, nothing when
        // the baseline runs; and its id alone (0: the baseline), for alerts and joins.
        let mut family = encoder.encode_descriptor(
            "running_trigger",
            "The trigger whose config runs (1), with its id, name and config; absent while the baseline runs",
            None,
            gauge.metric_type(),
        )?;
        if let Some(run) = &status.current {
            let labels = [
                ("trigger_id", run.trigger.id.0.to_string()),
                ("trigger", label(&run.trigger.name)),
                ("config", label(&run.config.name)),
                ("open_ended", run.trigger.end.is_none().to_string()),
            ];
            ConstGauge::new(1i64).encode(family.encode_family(&labels)?)?;
        }
        ConstGauge::new(status.current.as_ref().map_or(0, |r| r.trigger.id.0)).encode(
            encoder.encode_descriptor(
                "running_trigger_id",
                "The id of the trigger whose config runs; 0 while the baseline runs",
                None,
                gauge.metric_type(),
            )?,
        )?;

        if let Some(next) = &status.next {
            let seconds = (next.at - c.now()).num_milliseconds().max(0) as f64 / 1000.0;
            ConstGauge::new(seconds).encode(encoder.encode_descriptor(
                "next_transition_seconds",
                "Seconds until the next scheduled change of what runs; absent when none is scheduled",
                None,
                gauge.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

/// `GET metrics`: for the viewer role, by the application's identity, a bearer token or the
/// built-in session. 401 without any.
pub(crate) async fn scrape(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    match scraped(&req, &state).await {
        Ok(text) => HttpResponse::Ok()
            .insert_header((
                CONTENT_TYPE,
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            ))
            .body(text),
        Err(error) => actix_web::ResponseError::error_response(&error),
    }
}

async fn scraped(req: &HttpRequest, state: &web::Data<AdminState>) -> Result<String, ApiError> {
    let needed = api::required_role(req, state)?;
    let caller = match api::from_application(req, state)? {
        Some(caller) => caller,
        None => match api::bearer(req) {
            Some(token) => {
                sync::accounts(&state.accounts, move |a| api::by_token(a, &token)).await?
            }
            None => crate::pages::session_caller(req, state)
                .await?
                .ok_or(Error::Unauthenticated)?,
        },
    };
    api::allowed(&caller, needed)?;
    state.metrics.render().map_err(|e| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )
    })
}
