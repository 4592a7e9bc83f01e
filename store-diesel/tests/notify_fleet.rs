//! A fleet on LISTEN/NOTIFY against the local PostgreSQL: fan-out, listeners cut off by
//! `pg_terminate_backend` while changes are made, a database refusing connections for a while,
//! and garbage on the channel.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::testing::fleet::{
    self, a_change_reaches_every_process, all_at, always, level_config, wait_until,
};
use dynlog_core::{Controller, Level};
use dynlog_diesel::{DieselStore, LISTENER_NAME, PgNotifyPropagator};

const CHANNEL: &str = "dynlog_fleet_test";

/// One simulated process: a logger and a store of its own, on the shared database.
fn process(url: &str) -> Controller {
    fleet::process(
        Arc::new(DieselStore::open(url).unwrap()),
        PgNotifyPropagator::new(url, CHANNEL).unwrap(),
    )
}

fn fleet(url: &str, n: usize) -> Vec<Controller> {
    let fleet: Vec<_> = (0..n).map(|_| process(url)).collect();
    wait_until(Duration::from_secs(5), "every listener", || {
        listeners(url) >= 1
    });
    // Each listener asks for a reload once listening: let those run before the test writes.
    std::thread::sleep(Duration::from_millis(500));
    fleet
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The listeners connected to the test's database.
fn listeners(url: &str) -> i64 {
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
    )
    .bind::<Text, _>(LISTENER_NAME)
    .get_result::<Count>(&mut conn)
    .unwrap()
    .n
}

/// Cuts every listener's connection to the database of `url`, as a failover or a network cut
/// would; from the server's own database, so that it works while `url`'s refuses connections.
fn terminate_listeners(url: &str) -> i64 {
    let mut conn = PgConnection::establish(&common::postgres_server().unwrap()).unwrap();
    diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
    )
    .bind::<Text, _>(url.rsplit('/').next().unwrap())
    .bind::<Text, _>(LISTENER_NAME)
    .get_result::<Count>(&mut conn)
    .unwrap()
    .n
}

#[test]
fn a_change_fans_out_to_every_listener() {
    let Some(db) = common::postgres() else { return };
    let fleet = fleet(db.url(), 3);
    a_change_reaches_every_process(&fleet);
    for c in &fleet {
        c.stop();
    }
}

#[test]
fn listeners_cut_off_mid_run_resync_and_converge() {
    let Some(db) = common::postgres() else { return };
    let fleet = fleet(db.url(), 3);
    // A change written to the store with no announcement: only a resync finds it.
    let config = db
        .create_config("elsewhere", &level_config("quiet", "a", "debug"))
        .unwrap();
    db.create_trigger("elsewhere", &always("t", config.value.id))
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(all_at(&fleet, "a", Level::Info), "nobody was told");
    // One listener per process, shared by its controllers.
    assert_eq!(terminate_listeners(db.url()), 1);
    wait_until(Duration::from_secs(3), "the resync", || {
        all_at(&fleet, "a", Level::Debug)
    });

    // Changes made while the listeners are cut again and again: every instance ends on the
    // last one.
    let writer = &fleet[0];
    let config = writer
        .create_config("bob", &level_config("b", "b", "warn"))
        .unwrap();
    let mut version = config.version;
    writer
        .create_trigger("bob", &always("b", config.id))
        .unwrap();
    for (n, level) in ["error", "trace", "debug", "warn", "error"]
        .into_iter()
        .enumerate()
    {
        terminate_listeners(db.url());
        version = writer
            .update_config(
                "bob",
                config.id,
                version,
                &level_config(&format!("b{n}"), "b", level),
            )
            .unwrap()
            .version;
    }
    let revision = db.revision().unwrap();
    wait_until(Duration::from_secs(5), "every instance to converge", || {
        all_at(&fleet, "b", Level::Error) && fleet.iter().all(|c| c.status().revision == revision)
    });
    wait_until(Duration::from_secs(5), "every listener back", || {
        listeners(db.url()) == 1
    });
    for c in &fleet {
        c.stop();
    }
}

#[test]
fn a_database_refusing_new_connections_for_a_while_loses_nothing() {
    let Some(database) = common::postgres_database() else {
        return;
    };
    let url = database.url().to_string();
    let fleet = fleet(&url, 3);
    // The writer's pooled connection stays open; new connections are refused.
    let writer = DieselStore::open(&url).unwrap();
    writer.revision().unwrap();
    let server = common::postgres_server().unwrap();
    let mut admin = PgConnection::establish(&server).unwrap();
    let name = url.rsplit('/').next().unwrap().to_string();
    diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .unwrap();
    terminate_listeners(&url);
    let config = writer
        .create_config("carol", &level_config("c", "c", "trace"))
        .unwrap();
    writer
        .create_trigger("carol", &always("c", config.value.id))
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(terminate_listeners(&url), 0, "no listener got back in");
    diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .unwrap();
    let took = wait_until(
        Duration::from_secs(10),
        "every instance to converge",
        || all_at(&fleet, "c", Level::Trace),
    );
    // Reconnects back off up to 5 s; meanwhile each checks the store on its open connections.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    wait_until(Duration::from_secs(6), "every listener back", || {
        listeners(&url) == 1
    });
    for c in &fleet {
        c.stop();
    }
    drop(writer);
}

#[test]
fn garbage_on_the_channel_is_ignored() {
    let Some(db) = common::postgres() else { return };
    let listener = fleet(db.url(), 1).remove(0);
    let generation = listener.logger().generation();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    for garbage in ["not json", "{\"revision\": \"x\"}", "", "\u{1}"] {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CHANNEL)
            .bind::<Text, _>(garbage)
            .execute(&mut conn)
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(listener.logger().generation(), generation);
    // Still listening: a real change from another process arrives.
    let writer = process(db.url());
    let config = writer
        .create_config("dave", &level_config("d", "d", "warn"))
        .unwrap();
    writer
        .create_trigger("dave", &always("d", config.id))
        .unwrap();
    wait_until(Duration::from_secs(2), "the real change", || {
        listener.logger().effective_level("d") == Level::Warn
    });
    listener.stop();
    writer.stop();
}
