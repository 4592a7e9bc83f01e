//! A client keeping cookies, as a browser would, over the admin's test service, and the account
//! it logs in with.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test};
use dynlog_core::{Controller, MemoryHandler};

pub(crate) const USER: &str = "alice";
pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) fn controller(tail: &MemoryHandler) -> super::TestApp {
    let controller = super::controller(tail);
    dynlog_actix::put_account(&*controller.accounts, "setup", USER, PASSWORD).unwrap();
    controller
}

/// A client keeping cookies, as a browser would, over the test service.
pub(crate) struct Client<S> {
    pub(crate) app: S,
    pub(crate) cookies: BTreeMap<String, String>,
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) location: String,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) headers: actix_web::http::header::HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    /// The value of the first hidden `csrf` field.
    pub(crate) fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .expect("a csrf field");
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

impl<S> Client<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    pub(crate) async fn send(&mut self, req: test::TestRequest) -> Reply {
        let mut req = req;
        for (name, value) in &self.cookies {
            req = req.cookie(actix_web::cookie::Cookie::new(name.clone(), value.clone()));
        }
        let response = test::call_service(&self.app, req.to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .map(|c| c.to_str().unwrap().to_string())
            .collect();
        for cookie in &set_cookies {
            let parsed = actix_web::cookie::Cookie::parse(cookie.clone()).unwrap();
            if parsed.value().is_empty() {
                self.cookies.remove(parsed.name());
            } else {
                self.cookies
                    .insert(parsed.name().to_string(), parsed.value().to_string());
            }
        }
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        Reply {
            status,
            location,
            set_cookies,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, uri: &str) -> Reply {
        self.send(test::TestRequest::get().uri(uri)).await
    }

    pub(crate) async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.send(
            test::TestRequest::post()
                .uri(uri)
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(body),
        )
        .await
    }

    pub(crate) async fn login_as(&mut self, user: &str, password: &str) -> Reply {
        let form = self.get("/admin/login").await;
        let csrf = form.csrf();
        self.post(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("username", user),
                ("password", password),
                ("next", "/admin/configs"),
            ],
        )
        .await
    }

    /// Logs in and returns the session's CSRF token.
    pub(crate) async fn login(&mut self) -> String {
        let reply = self.login_as(USER, PASSWORD).await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        self.get("/admin/configs").await.csrf()
    }
}

pub(crate) async fn client(
    c: &super::TestApp,
    tail: &MemoryHandler,
) -> Client<impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>>
{
    let admin = c.admin().secure_cookies(false).tail(tail.clone());
    Client {
        app: test::init_service(App::new().service(admin.scope("/admin"))).await,
        cookies: BTreeMap::new(),
    }
}

pub(crate) fn revision(c: &Controller) -> i64 {
    c.store().revision().unwrap()
}

/// The text of the page's notice.
pub(crate) fn notice(page: &Reply) -> &str {
    const OPEN: &str = r#"<p class="notice" role="status">"#;
    &super::part(&page.body, OPEN, "</p>")[OPEN.len()..]
}

/// Posts `form` to `uri`, expects a redirect and follows it; the page it lands on.
pub(crate) async fn land<S>(client: &mut Client<S>, uri: &str, form: &[(&str, &str)]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let reply = client.post(uri, form).await;
    assert_eq!(reply.status, 303, "POST {uri}: {}", reply.body);
    let page = client.get(&reply.location).await;
    assert_eq!(page.status, 200, "GET {}: {}", reply.location, page.body);
    page
}
