//! The application's identity plugged into the admin: a bearer JWT it verifies, its own session
//! (a closure) whose forms carry a derived CSRF token, and a trusted proxy's headers.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use actix_web::test as actix_test;
use actix_web::{App, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dynlog_actix::{Authenticator, Identity, JwtBearer, Refused, TrustedProxy};
use dynlog_core::MemoryHandler;
use dynlog_core::store::{AuditQuery, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use proptest::prelude::*;
use serde_json::{Value, json};

use common::client::{Client, revision};

const SECRET: &[u8] = b"the identity provider's signing secret";
const ISSUER: &str = "https://id.example.com";
const AUDIENCE: &str = "dynlog-admin";

/// Verifies HS256 tokens from [`ISSUER`] for [`AUDIENCE`].
fn jwt_bearer() -> JwtBearer {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    JwtBearer::new(DecodingKey::from_secret(SECRET), validation)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims that pass, for `role`; tests take fields away or change them.
fn claims(role: &str) -> Value {
    json!({"sub": "alice", "role": role, "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600})
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// What the authenticator says of a request carrying `Authorization: Bearer <token>`.
fn verdict(auth: &impl Authenticator, token: &str) -> Result<Option<Identity>, Refused> {
    let req = actix_test::TestRequest::default()
        .insert_header(("Authorization", format!("Bearer {token}")))
        .to_http_request();
    auth.authenticate(&req)
}

#[test]
fn a_jwt_gives_the_user_and_role_and_every_bad_one_is_refused() {
    let auth = jwt_bearer();
    assert_eq!(
        verdict(&auth, &sign(&claims("operator"), SECRET)).unwrap(),
        Some(Identity::new("alice", Role::Operator).unwrap())
    );

    let with = |change: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut c = claims("operator");
        change(c.as_object_mut().unwrap());
        sign(&c, SECRET)
    };
    // "alg": "none", unsigned: a header and claims that would pass, and no signature.
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims("admin").to_string())
    );
    // Signed right, by a key of another algorithm than the one configured.
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims("admin"),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bad signature",
            sign(&claims("admin"), b"another secret"),
            "InvalidSignature",
        ),
        (
            "expired",
            with(&|c| {
                c.insert("exp".into(), json!(now() - 3600));
            }),
            "ExpiredSignature",
        ),
        (
            "no expiry",
            with(&|c| {
                c.remove("exp");
            }),
            "exp",
        ),
        (
            "wrong issuer",
            with(&|c| {
                c.insert("iss".into(), json!("https://evil.example.com"));
            }),
            "InvalidIssuer",
        ),
        (
            "wrong audience",
            with(&|c| {
                c.insert("aud".into(), json!("another-app"));
            }),
            "InvalidAudience",
        ),
        (
            "no role claim",
            with(&|c| {
                c.remove("role");
            }),
            "no \"role\" claim",
        ),
        (
            "unknown role",
            with(&|c| {
                c.insert("role".into(), json!("root"));
            }),
            "\"root\" is not a role",
        ),
        (
            "role not a string",
            with(&|c| {
                c.insert("role".into(), json!(["admin"]));
            }),
            "is not a role",
        ),
        (
            "no name",
            with(&|c| {
                c.remove("sub");
            }),
            "no \"sub\" claim",
        ),
        (
            "a name with a newline",
            with(&|c| {
                c.insert("sub".into(), json!("alice\nadmin"));
            }),
            "control characters",
        ),
        ("alg none", unsigned, "refused"),
        ("another algorithm", hs512, "refused"),
        ("malformed", "abc.def.ghi".into(), "refused"),
        ("empty parts", "..".into(), "refused"),
        (
            "over 8 KiB",
            format!("{}.{}.sig", "a".repeat(5000), "b".repeat(5000)),
            "over 8192 bytes",
        ),
    ];
    for (why, token, message) in cases {
        let refused = verdict(&auth, &token).expect_err(why).to_string();
        assert!(refused.contains(message), "{why}: {refused}");
        assert!(
            !refused.contains(std::str::from_utf8(SECRET).unwrap()),
            "{why}: the secret is never told: {refused}"
        );
    }

    // A role the application gives tokens without one; the admin's own API tokens (no dots)
    // and other schemes are left to the built-in checks.
    let lenient = jwt_bearer().default_role(Some(Role::Viewer));
    let no_role = with(&|c| {
        c.remove("role");
    });
    assert_eq!(
        verdict(&lenient, &no_role).unwrap().map(|i| i.role()),
        Some(Role::Viewer)
    );
    assert_eq!(
        verdict(&auth, "0123456789abcdef0123456789abcdef").unwrap(),
        None
    );
    let basic = actix_test::TestRequest::default()
        .insert_header(("Authorization", "Basic YWxpY2U6cGFzcw=="))
        .to_http_request();
    assert_eq!(auth.authenticate(&basic).unwrap(), None);
    // Claims named otherwise by the identity provider.
    let custom = jwt_bearer().name_claim("email").role_claim("dynlog_role");
    let token = with(&|c| {
        c.insert("email".into(), json!("bob@example.com"));
        c.insert("dynlog_role".into(), json!("admin"));
    });
    assert_eq!(
        verdict(&custom, &token).unwrap(),
        Some(Identity::new("bob@example.com", Role::Admin).unwrap())
    );
}

proptest! {
    /// Three dot-separated parts of anything never panic and never pass.
    #[test]
    fn forged_jwts_are_refused_without_panicking(
        header in "[A-Za-z0-9_=+/-]{0,60}",
        claims in "[A-Za-z0-9_=+/-]{0,120}",
        signature in "[A-Za-z0-9_=+/-]{0,60}",
    ) {
        let token = format!("{header}.{claims}.{signature}");
        prop_assert!(verdict(&jwt_bearer(), &token).is_err());
    }
}

#[actix_web::test]
async fn the_admin_takes_a_jwt_callers_role_and_refuses_a_bad_one() {
    let tail = MemoryHandler::new(10);
    let c = common::controller(&tail);
    let admin = c.admin().authenticator(jwt_bearer());
    let app = actix_test::init_service(App::new().service(admin.scope("/admin"))).await;
    let call = |method: &str, uri: &str, token: &str, body: Option<&str>| {
        let mut req = match method {
            "GET" => actix_test::TestRequest::get(),
            _ => actix_test::TestRequest::post(),
        }
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {token}")));
        if let Some(body) = body {
            req = req
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body.to_string());
        }
        req.to_request()
    };
    let config = r#"{"name": "by jwt", "body": {"loggers": {"myapp": {"level": "debug"}}}}"#;

    let operator = sign(&claims("operator"), SECRET);
    let r = actix_test::call_service(
        &app,
        call("POST", "/admin/api/configs", &operator, Some(config)),
    )
    .await;
    assert_eq!(r.status(), 201);
    let audit = c.store().audit(AuditQuery::default()).unwrap();
    assert_eq!(audit[0].actor, "alice (operator)");
    let r = actix_test::call_service(&app, call("GET", "/admin/api/status", &operator, None)).await;
    assert_eq!(r.status(), 200);
    let r = actix_test::call_service(&app, call("GET", "/admin/account", &operator, None)).await;
    assert_eq!(r.status(), 200, "a page, with no login");

    let viewer = sign(&claims("viewer"), SECRET);
    let r = actix_test::call_service(
        &app,
        call("POST", "/admin/api/configs", &viewer, Some(config)),
    )
    .await;
    assert_eq!(r.status(), 403);

    let forged = sign(&claims("admin"), b"not the provider's");
    let before = revision(&c);
    let r = actix_test::call_service(
        &app,
        call("POST", "/admin/api/configs", &forged, Some(config)),
    )
    .await;
    assert_eq!(r.status(), 401, "refused, not passed on to the API tokens");
    let body: Value = serde_json::from_slice(&actix_test::read_body(r).await).unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("InvalidSignature"),
        "{body}"
    );
    let r = actix_test::call_service(&app, call("GET", "/admin/configs", &forged, None)).await;
    assert_eq!(r.status(), 403, "a page refuses it too");
    assert_eq!(revision(&c), before, "nothing was stored");
}

/// The application's session as the tests fake it: the user in a header the application's own
/// middleware would have checked.
fn app_session(req: &HttpRequest) -> Result<Option<Identity>, Refused> {
    match req.headers().get("X-App-User").map(|v| v.to_str()) {
        None => Ok(None),
        Some(Ok(user)) => Identity::new(user, Role::Operator).map(Some),
        Some(Err(_)) => Err(Refused::new("X-App-User is not printable ASCII")),
    }
}

#[actix_web::test]
async fn forms_of_the_applications_session_need_its_csrf_token() {
    let tail = MemoryHandler::new(10);
    let c = common::controller(&tail);
    let admin = c.admin().secure_cookies(false).authenticator(app_session);
    let mut client = Client {
        app: actix_test::init_service(App::new().service(admin.scope("/admin"))).await,
        cookies: BTreeMap::new(),
    };
    let as_user =
        |user: &str, req: actix_test::TestRequest| req.insert_header(("X-App-User", user));
    let form = |csrf: Option<&str>| {
        let mut pairs = vec![
            ("name", "from the app"),
            ("logger.0.name", "myapp"),
            ("logger.0.level", "debug"),
        ];
        if let Some(csrf) = csrf {
            pairs.push(("csrf", csrf));
        }
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        actix_test::TestRequest::post()
            .uri("/admin/configs/new")
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(body)
    };

    let page = client
        .send(as_user(
            "alice",
            actix_test::TestRequest::get().uri("/admin/configs/new"),
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    let bobs = client
        .send(as_user(
            "bob",
            actix_test::TestRequest::get().uri("/admin/configs/new"),
        ))
        .await
        .csrf();
    assert_ne!(csrf, bobs, "derived from the name");
    assert!(
        client.cookies.is_empty(),
        "no session cookie: {:?}",
        client.cookies
    );

    let before = revision(&c);
    for token in [None, Some(""), Some(&bobs[..]), Some(&csrf[..63])] {
        let reply = client.send(as_user("alice", form(token))).await;
        assert_eq!(reply.status, 403, "{token:?}");
        assert!(reply.body.contains("CSRF"), "{token:?}: {}", reply.body);
    }
    assert_eq!(revision(&c), before, "nothing was stored");

    let reply = client.send(as_user("alice", form(Some(&csrf)))).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(revision(&c), before + 1);
    let audit = c.store().audit(AuditQuery::default()).unwrap();
    assert_eq!(audit[0].actor, "alice (operator)");

    // Without the application's session, the form is the built-in login's business.
    let reply = client.send(form(Some(&csrf))).await;
    assert_eq!(reply.status, 303);
    assert!(
        reply.location.contains("/admin/login"),
        "{}",
        reply.location
    );
    assert_eq!(revision(&c), before + 1);
}

#[actix_web::test]
async fn a_proxy_header_from_elsewhere_is_ignored() {
    let tail = MemoryHandler::new(10);
    let c = common::controller(&tail);
    let proxy = TrustedProxy::new("X-Forwarded-User", ["10.0.0.5".parse().unwrap()])
        .unwrap()
        .role_header("X-Forwarded-Role")
        .unwrap();
    let admin = c.admin().authenticator(proxy);
    let app = actix_test::init_service(App::new().service(admin.scope("/admin"))).await;
    let from = |peer: &str, uri: &str| {
        actix_test::TestRequest::get()
            .uri(uri)
            .peer_addr(format!("{peer}:40000").parse().unwrap())
            .insert_header(("X-Forwarded-User", "mallory"))
            .insert_header(("X-Forwarded-Role", "admin"))
            .to_request()
    };
    let r = actix_test::call_service(&app, from("10.0.0.5", "/admin/api/status")).await;
    assert_eq!(r.status(), 200, "from the proxy");
    for peer in ["10.0.0.6", "127.0.0.1", "::1"] {
        let peer = if peer.contains(':') {
            format!("[{peer}]")
        } else {
            peer.to_string()
        };
        let r = actix_test::call_service(&app, from(&peer, "/admin/api/status")).await;
        assert_eq!(r.status(), 401, "{peer}: the header counts for nothing");
        let r = actix_test::call_service(&app, from(&peer, "/admin/account")).await;
        assert_eq!(r.status(), 303, "{peer}: the login");
        assert!(
            r.headers()
                .get("location")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("/admin/login"),
            "{peer}"
        );
    }
}
