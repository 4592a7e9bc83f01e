//! Every route of the admin's route table, with every role and with no credentials: allowed,
//! 403, or the login (401 for the API and the metrics). The pages' links and forms are crawled
//! too, so a route the pages use but the table lacks fails here.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test};
use dynlog_actix::{Access, ROUTES, Route};
use dynlog_core::MemoryHandler;
use dynlog_core::store::{AccountStore, Role};

use common::client::{Client, PASSWORD};

const TOKEN_OF: [(Role, &str); 3] = [
    (Role::Viewer, "viewer-token-0123456789"),
    (Role::Operator, "operator-token-0123456789"),
    (Role::Admin, "admin-token-0123456789"),
];

/// The route's path with its parameters filled in.
fn uri(route: &Route) -> String {
    let path = route
        .path
        .replace("{id}", "999999")
        .replace("{file}", "admin.css")
        .replace("{name}", "myapp::db");
    format!("/admin{path}")
}

struct Answer {
    status: u16,
    location: String,
    body: String,
}

async fn call<S>(
    app: &S,
    route: &Route,
    cookies: &BTreeMap<String, String>,
    csrf: Option<&str>,
    bearer: Option<&str>,
) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = match route.method {
        "GET" => test::TestRequest::get(),
        "POST" => test::TestRequest::post(),
        "PUT" => test::TestRequest::put(),
        "DELETE" => test::TestRequest::delete(),
        other => panic!("method {other}"),
    }
    .uri(&uri(route));
    for (name, value) in cookies {
        req = req.cookie(actix_web::cookie::Cookie::new(name.clone(), value.clone()));
    }
    if let Some(token) = bearer {
        req = req.insert_header(("Authorization", format!("Bearer {token}")));
    }
    if route.method != "GET" {
        req = if route.is_api() {
            req.insert_header(("Content-Type", "application/json"))
                .set_payload("{}")
        } else {
            let form: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("csrf", csrf.unwrap_or(""))])
                .finish();
            req.insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(form)
        };
    }
    let response = test::call_service(app, req.to_request()).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    let streaming = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
    // The live tail's stream never ends: its status is the answer.
    let body = if streaming {
        String::new()
    } else {
        String::from_utf8_lossy(&test::read_body(response).await).into_owned()
    };
    Answer {
        status,
        location,
        body,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Refused,
    Login,
}

fn outcome(route: &Route, answer: &Answer) -> Outcome {
    let to_login = if route.is_api() || route.path == "/metrics" {
        answer.status == 401
    } else {
        // The login form, to come back after (a logout lands on it without `next`).
        answer.status == 303 && answer.location.starts_with("/admin/login?next=")
    };
    if to_login {
        Outcome::Login
    } else if answer.status == 403 && answer.body.contains("needs the") {
        Outcome::Refused
    } else {
        Outcome::Allowed
    }
}

fn expected(route: &Route, role: Option<Role>) -> Outcome {
    match (route.access, role) {
        (Access::Public, _) => Outcome::Allowed,
        (Access::Role(_), None) => Outcome::Login,
        (Access::Role(needed), Some(role)) if role.allows(needed) => Outcome::Allowed,
        (Access::Role(_), Some(_)) => Outcome::Refused,
    }
}

#[actix_web::test]
async fn every_route_with_every_role_and_none() {
    let tail = MemoryHandler::new(10);
    let c = common::controller(&tail);
    for (role, token) in TOKEN_OF {
        c.accounts
            .create_account(
                "setup",
                role.as_str(),
                &dynlog_actix::hash_password(PASSWORD).unwrap(),
                role,
            )
            .unwrap();
        dynlog_actix::register_token_with_role(&*c.accounts, "setup", role.as_str(), token, role)
            .unwrap();
    }
    let admin = c.admin().secure_cookies(false).tail(tail.clone());
    let app = test::init_service(App::new().service(admin.scope("/admin"))).await;

    // Each role's session: its cookies and its forms' CSRF token.
    let mut sessions = BTreeMap::new();
    for (role, _) in TOKEN_OF {
        let mut client = Client {
            app: &app,
            cookies: BTreeMap::new(),
        };
        let reply = client.login_as(role.as_str(), PASSWORD).await;
        assert_eq!(reply.status, 303, "{role} logs in: {}", reply.body);
        let csrf = client.get("/admin/account").await.csrf();
        sessions.insert(role, (client.cookies.clone(), csrf));
    }

    // Logging out ends a session: that route goes last.
    let mut routes: Vec<&Route> = ROUTES.iter().collect();
    routes.sort_by_key(|r| r.path == "/logout");
    let mut failures = Vec::new();
    for route in routes {
        let nobody = call(&app, route, &BTreeMap::new(), None, None).await;
        let got = outcome(route, &nobody);
        if got != expected(route, None) {
            failures.push(format!(
                "{} {} without credentials: {got:?} ({} {})",
                route.method, route.path, nobody.status, nobody.location
            ));
        }
        for (role, token) in TOKEN_OF {
            let answer = if route.is_api() {
                call(&app, route, &BTreeMap::new(), None, Some(token)).await
            } else {
                let (cookies, csrf) = &sessions[&role];
                call(&app, route, cookies, Some(csrf), None).await
            };
            let got = outcome(route, &answer);
            let want = expected(route, Some(role));
            if got != want {
                failures.push(format!(
                    "{} {} as {role}: {got:?}, expected {want:?} ({} {} {})",
                    route.method,
                    route.path,
                    answer.status,
                    answer.location,
                    answer.body.chars().take(200).collect::<String>()
                ));
            }
            if got == Outcome::Allowed && route.access != Access::Public {
                assert_ne!(answer.status, 401, "{} {}", route.method, route.path);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether `path` (under the admin, without a query) is a route of the table.
fn in_table(method: &str, path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES.iter().any(|r| {
        let pattern: Vec<&str> = r.path.split('/').collect();
        r.method == method
            && pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| p == s || (p.starts_with('{') && !s.is_empty()))
    })
}

#[actix_web::test]
async fn every_link_and_form_of_the_pages_is_in_the_table() {
    let tail = MemoryHandler::new(10);
    let c = common::client::controller(&tail);
    // Something to list, so that the rows' links and forms are on the pages.
    let config = c
        .create_config(
            "setup",
            &dynlog_core::NewConfig {
                name: "x".into(),
                body: Default::default(),
            },
        )
        .unwrap();
    let start = c.now();
    c.create_trigger(
        "setup",
        &dynlog_core::NewTrigger::window("t", config.id, start, start + chrono::Duration::hours(1)),
    )
    .unwrap();
    dynlog_actix::register_token(&*c.accounts, "setup", "ci", "token-0123456789").unwrap();
    let mut client = common::client::client(&c, &tail).await;
    client.login().await;
    let pages: Vec<String> = ROUTES
        .iter()
        .filter(|r| r.method == "GET" && !r.is_api() && !r.path.contains('{'))
        .filter(|r| !matches!(r.path, "/tail/events" | "/metrics" | "/login"))
        .map(|r| format!("/admin{}", r.path))
        .chain([
            format!("/admin/configs/{}", config.id.0),
            "/admin/triggers/2".to_string(),
        ])
        .collect();
    let mut missing = Vec::new();
    for page in pages {
        let body = client.get(&page).await.body;
        let attribute = |tag: &str, name: &str| {
            let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
            Some(tag[at..at + tag[at..].find('"')?].to_string())
        };
        let forms = body.split("<form").skip(1).filter_map(|piece| {
            let tag = &piece[..piece.find('>')?];
            let method = match attribute(tag, "method").as_deref() {
                Some("post") => "POST",
                _ => "GET",
            };
            Some((method, attribute(tag, "action")?))
        });
        let links = body
            .split("<a ")
            .skip(1)
            .filter_map(|piece| Some(("GET", attribute(&piece[..piece.find('>')?], "href")?)));
        for (method, target) in forms.chain(links) {
            let Some(path) = target.strip_prefix("/admin") else {
                continue;
            };
            let path = path.split(['?', '#']).next().unwrap();
            if !in_table(method, path) {
                missing.push(format!("{method} {path} (on {page})"));
            }
        }
    }
    assert!(missing.is_empty(), "not in the route table: {missing:?}");
}
