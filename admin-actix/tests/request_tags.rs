//! The request-tags middleware on a real actix worker: two requests interleaved on one
//! single-threaded worker each see only their own tags, and a scoped config decides by them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use actix_web::{App, HttpResponse, test, web};
use dynlog_actix::{DEBUG_HEADER, RequestTags, debug_token_tag, new_debug_token};
use dynlog_core::context::{self, Tags};
use dynlog_core::{DynamicLogger, LoggingConfig, MemoryHandler};
use tokio::sync::Barrier;

struct World {
    logger: DynamicLogger,
    barrier: Barrier,
}

fn tenant() -> Option<String> {
    context::current().and_then(|t| t.get("tenant").map(str::to_string))
}

/// Logs, waits until the other request has logged too (so both are in flight on this one
/// thread), and logs again; answers the tenant it saw each time.
async fn order(world: web::Data<Arc<World>>) -> HttpResponse {
    let before = tenant();
    log::log!(logger: &world.logger, target: "myapp::orders", log::Level::Debug, "before {before:?}");
    world.barrier.wait().await;
    let after = tenant();
    log::log!(logger: &world.logger, target: "myapp::orders", log::Level::Debug, "after {after:?}");
    HttpResponse::Ok().body(format!(
        "{before:?} {after:?} {:?}",
        std::thread::current().id()
    ))
}

#[actix_web::test]
async fn interleaved_requests_on_one_worker_each_see_their_own_tags() {
    // Not installed: `log!` with `logger:` still checks the global max level first.
    log::set_max_level(log::LevelFilter::Trace);
    let memory = MemoryHandler::new(100);
    let logger = DynamicLogger::builder()
        .handler("memory", memory.clone())
        .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
        .unwrap()
        .build()
        .unwrap();
    logger
        .apply(
            &LoggingConfig::from_json(
                r#"{"scope": {"tenant": ["acme"]}, "loggers": {"myapp": {"level": "debug"}}}"#,
            )
            .unwrap(),
        )
        .unwrap();
    let world = Arc::new(World {
        logger,
        barrier: Barrier::new(2),
    });
    let app = test::init_service(
        App::new()
            .wrap(RequestTags::new().header("X-Tenant", "tenant"))
            .app_data(web::Data::new(world.clone()))
            .route("/order", web::get().to(order)),
    )
    .await;
    let request = |tenant: &str| {
        test::TestRequest::get()
            .uri("/order")
            .insert_header(("X-Tenant", tenant))
            .to_request()
    };
    let (acme, globex) = futures_util::future::join(
        test::call_and_read_body(&app, request("acme")),
        test::call_and_read_body(&app, request("globex")),
    )
    .await;
    let (acme, globex) = (
        String::from_utf8(acme.to_vec()).unwrap(),
        String::from_utf8(globex.to_vec()).unwrap(),
    );
    assert!(acme.starts_with(r#"Some("acme") Some("acme")"#), "{acme}");
    assert!(
        globex.starts_with(r#"Some("globex") Some("globex")"#),
        "{globex}"
    );
    let thread = |body: &str| body.rsplit(' ').next().unwrap().to_string();
    assert_eq!(thread(&acme), thread(&globex), "one worker thread");
    assert_eq!(
        memory.messages(),
        [r#"before Some("acme")"#, r#"after Some("acme")"#]
    );
    assert!(
        context::current().is_none(),
        "nothing leaks out of a request"
    );
}

#[actix_web::test]
async fn the_debug_token_header_sets_its_hash_and_a_bad_one_nothing() {
    let app = test::init_service(
        App::new()
            .wrap(RequestTags::new().debug_token().user(|_| Some("42".into())))
            .route(
                "/",
                web::get().to(|| async {
                    let tags = context::current().unwrap_or_else(|| Tags::new([("", "")]));
                    HttpResponse::Ok().body(format!("{tags:?}"))
                }),
            ),
    )
    .await;
    let token = new_debug_token();
    assert_eq!(token.len(), 32);
    assert_ne!(token, new_debug_token());
    let call = |value: Option<&str>| {
        let mut request = test::TestRequest::get().uri("/");
        if let Some(value) = value {
            request = request.insert_header((DEBUG_HEADER, value));
        }
        request.to_request()
    };
    let body = test::call_and_read_body(&app, call(Some(&token))).await;
    let want = format!(
        r#"{{"debug_token": "{}", "user": "42"}}"#,
        debug_token_tag(&token)
    );
    assert_eq!(String::from_utf8(body.to_vec()).unwrap(), want);
    assert!(
        !want.contains(&token),
        "the tag is the token's hash, not the token"
    );
    for bad in ["short", &"x".repeat(4000)] {
        let body = test::call_and_read_body(&app, call(Some(bad))).await;
        assert_eq!(
            String::from_utf8(body.to_vec()).unwrap(),
            r#"{"user": "42"}"#
        );
    }
}
