//! TLS to PostgreSQL through the bundled libpq: `sslmode=require`, `verify-ca` and
//! `verify-full` against the local server (which has SSL on, with its own certificate), each
//! connection seen encrypted in `pg_stat_ssl`, and a wrong certificate authority refused with an
//! error that names the settings and not the password.
#![allow(clippy::unwrap_used)]

mod common;

use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::{Level, NewConfig};
use dynlog_diesel::DieselStore;

#[derive(QueryableByName)]
struct Ssl {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

#[derive(QueryableByName)]
struct Path {
    #[diesel(sql_type = Text)]
    path: String,
}

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    encrypted: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// `url` with `params` added to its query.
fn with(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

/// Whether this very connection is encrypted, as the server sees it.
fn encrypted(conn: &mut PgConnection) -> bool {
    diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result::<Ssl>(conn)
        .unwrap()
        .ssl
}

/// The server's certificate (Debian's self-signed one): the root a client verifies it against.
fn server_certificate(server: &str) -> String {
    let mut admin = PgConnection::establish(server).unwrap();
    let path = diesel::sql_query("SELECT current_setting('ssl_cert_file') AS path")
        .get_result::<Path>(&mut admin)
        .unwrap()
        .path;
    assert!(
        std::path::Path::new(&path).is_file(),
        "the server's certificate {path} is not readable here"
    );
    path
}

/// The server's URL with `host` as its host name and the server's address as `hostaddr`, so
/// verify-full checks `host` against the certificate while connecting where the server is.
fn by_name(server: &str, host: &str) -> String {
    let (scheme, rest) = server.split_once("://").unwrap();
    let (userinfo, rest) = match rest.rsplit_once('@') {
        Some((userinfo, rest)) => (format!("{userinfo}@"), rest),
        None => (String::new(), rest),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (address, port) = authority.rsplit_once(':').unwrap_or((authority, "5432"));
    with(
        &format!("{scheme}://{userinfo}{host}:{port}{path}"),
        &format!("hostaddr={address}"),
    )
}

fn server_ssl_on(server: &str) -> bool {
    let mut admin = PgConnection::establish(server).unwrap();
    let on = diesel::sql_query("SELECT current_setting('ssl') = 'on' AS ssl")
        .get_result::<Ssl>(&mut admin)
        .unwrap()
        .ssl;
    assert!(
        on || std::env::var("DYNLOG_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "PostgreSQL at {server} has SSL off (DYNLOG_REQUIRE_SERVICES=1 wants it on)"
    );
    on
}

#[test]
fn sslmode_require_encrypts_every_connection_of_the_store() {
    let Some(database) = common::postgres_database() else {
        return;
    };
    if !server_ssl_on(database.url()) {
        return;
    }
    let url = with(database.url(), "sslmode=require");
    let mut conn = PgConnection::establish(&url).unwrap();
    assert!(
        encrypted(&mut conn),
        "sslmode=require gave a clear connection"
    );
    drop(conn);

    // The store's pool: every connection it holds to its database is encrypted.
    let store = DieselStore::open(&url).unwrap();
    store
        .create_config("alice", &NewConfig::raising("debug a", "a", Level::Debug))
        .unwrap();
    assert_eq!(store.configs().unwrap().len(), 1);
    let name = database.url().rsplit('/').next().unwrap().to_string();
    let mut admin = PgConnection::establish(database.url()).unwrap();
    let counts = diesel::sql_query(format!(
        "SELECT count(*) FILTER (WHERE s.ssl) AS encrypted, count(*) AS total \
         FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
         WHERE a.datname = '{name}' AND a.pid <> pg_backend_pid()"
    ))
    .get_result::<Counts>(&mut admin)
    .unwrap();
    assert!(counts.total >= 1, "the store holds no connection");
    assert_eq!(
        counts.encrypted, counts.total,
        "a store connection in clear"
    );
    drop(store);
}

#[test]
fn verify_ca_and_verify_full_accept_the_servers_own_certificate() {
    let Some(server) = common::postgres_server() else {
        return;
    };
    if !server_ssl_on(&server) {
        return;
    }
    let root = server_certificate(&server);
    let url = with(&server, &format!("sslmode=verify-ca&sslrootcert={root}"));
    let mut conn = PgConnection::establish(&url).unwrap();
    assert!(encrypted(&mut conn));
    DieselStore::open(&url).unwrap().revision().unwrap();

    // verify-full also checks the name: the certificate carries the server's host name (Debian
    // makes it for `hostname -f`) or `localhost`; one of them must pass, and a name it does not
    // carry must not.
    let names: Vec<String> = ["localhost".to_string()]
        .into_iter()
        .chain(
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|n| n.trim().to_string()),
        )
        .chain(
            std::process::Command::new("hostname")
                .arg("-f")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()),
        )
        .filter(|n| !n.is_empty())
        .collect();
    let full = |name: &str| {
        with(
            &by_name(&server, name),
            &format!("sslmode=verify-full&sslrootcert={root}"),
        )
    };
    let verified = names
        .iter()
        .find_map(|name| PgConnection::establish(&full(name)).ok());
    let mut conn = verified.unwrap_or_else(|| {
        panic!("verify-full passed for none of {names:?} with the server's own certificate")
    });
    assert!(encrypted(&mut conn));

    let err = DieselStore::open(&full("not-the-server.invalid"))
        .expect_err("a name the certificate does not carry")
        .to_string();
    assert!(
        err.contains("does not match host name") && err.contains("sslmode=verify-full checks"),
        "{err}"
    );
}

#[test]
fn a_wrong_certificate_authority_is_refused_naming_the_settings_not_the_password() {
    let Some(server) = common::postgres_server() else {
        return;
    };
    if !server_ssl_on(&server) {
        return;
    }
    // A certificate authority of the test's own, which signed nothing the server has.
    let dir = std::env::temp_dir().join(format!("dynlog-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_path = dir.join("other-ca.pem");
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "not the server's CA");
    std::fs::write(&ca_path, params.self_signed(&key).unwrap().pem()).unwrap();

    let with_password = server.replacen("://postgres@", "://postgres:hunter2-tls@", 1);
    for mode in ["verify-ca", "verify-full"] {
        let url = with(
            &by_name(&with_password, "localhost"),
            &format!("sslmode={mode}&sslrootcert={}", ca_path.display()),
        );
        let err = DieselStore::open(&url)
            .expect_err("a CA that signed nothing of the server's")
            .to_string();
        assert!(
            err.contains(&format!(
                "sslmode={mode}: the server's certificate is not signed by a certificate authority in sslrootcert={}",
                ca_path.display()
            )) && err.contains("certificate verify failed"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
    // A root certificate file that is not there.
    let missing = dir.join("missing.pem");
    let err = DieselStore::open(&with(
        &server,
        &format!("sslmode=verify-ca&sslrootcert={}", missing.display()),
    ))
    .expect_err("no root certificate")
    .to_string();
    assert!(
        err.contains(&format!(
            "sslmode=verify-ca needs a readable sslrootcert={}",
            missing.display()
        )),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
