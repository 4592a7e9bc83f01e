//! The admin's accounts, session epochs and tokens.

use crate::error::Error;
use crate::store::{AccountStore, AuditQuery, Role, StoreRead};

/// Accounts are created and re-passworded; hashes never reach the audit.
pub fn accounts<S: AccountStore + StoreRead + ?Sized>(store: &S) {
    assert!(store.account("admin").expect("read").is_none());
    let created = store
        .put_account("system", "admin", "$argon2id$hash1")
        .expect("create");
    assert_eq!(created.username, "admin");
    let read = store.account("admin").expect("read").expect("exists");
    assert_eq!(read.password_hash, "$argon2id$hash1");
    store
        .put_account("admin", "admin", "$argon2id$hash2")
        .expect("update");
    assert_eq!(
        store
            .account("admin")
            .expect("read")
            .expect("exists")
            .password_hash,
        "$argon2id$hash2"
    );
    store
        .put_account("system", "bob", "$argon2id$hash3")
        .expect("create");
    let names: Vec<String> = store
        .accounts()
        .expect("list")
        .into_iter()
        .map(|a| a.username)
        .collect();
    assert_eq!(names, ["admin", "bob"]);
    for entry in store.audit(AuditQuery::default()).expect("audit") {
        let text = format!("{:?} {:?}", entry.before, entry.after);
        assert!(!text.contains("argon2"), "a hash reached the audit: {text}");
    }
    assert!(matches!(
        store.put_account("system", "", "h"),
        Err(Error::InvalidName { .. })
    ));
}

/// An account's session epoch starts at 0 and moves on with a password change and with
/// `end_sessions`, which is a write of its own; other accounts keep theirs.
pub fn session_epochs<S: AccountStore + StoreRead + ?Sized>(store: &S) {
    let created = store
        .put_account("system", "admin", "$argon2id$hash1")
        .expect("create");
    assert_eq!(created.session_epoch, 0);
    store
        .put_account("system", "bob", "$argon2id$hash2")
        .expect("create");
    let epoch = |name: &str| {
        store
            .account(name)
            .expect("read")
            .expect("exists")
            .session_epoch
    };

    let rev = store.revision().expect("revision");
    assert_eq!(store.end_sessions("admin", "admin").expect("end"), 1);
    assert_eq!(epoch("admin"), 1);
    assert_eq!(
        store
            .account("admin")
            .expect("read")
            .expect("exists")
            .password_hash,
        "$argon2id$hash1",
        "ending sessions keeps the password"
    );
    assert!(store.revision().expect("revision") > rev, "a write");
    let entry = store
        .audit(AuditQuery {
            before: None,
            limit: 1,
        })
        .expect("audit")
        .remove(0);
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.action.as_str(),
            entry.entity.as_str()
        ),
        ("admin", "update", "account")
    );
    let epoch_in = |json: &Option<serde_json::Value>| {
        json.as_ref()
            .and_then(|j| j["session_epoch"].as_i64())
            .expect("the epoch in the audit")
    };
    assert_eq!((epoch_in(&entry.before), epoch_in(&entry.after)), (0, 1));
    let text = format!("{:?} {:?}", entry.before, entry.after);
    assert!(!text.contains("argon2"), "a hash reached the audit: {text}");

    let changed = store
        .put_account("admin", "admin", "$argon2id$hash3")
        .expect("new password");
    assert_eq!(changed.session_epoch, 2, "a password change ends sessions");
    assert_eq!(changed.created_at, created.created_at);
    assert_eq!(epoch("admin"), 2);
    assert_eq!(epoch("bob"), 0, "other accounts keep their sessions");

    let rev = store.revision().expect("revision");
    assert!(matches!(
        store.end_sessions("admin", "nobody"),
        Err(Error::AccountNotFound(name)) if name == "nobody"
    ));
    assert_eq!(store.revision().expect("revision"), rev, "nothing written");
    assert!(store.account("nobody").expect("read").is_none());
}

/// Tokens are found by hash (and marked used), listed and deleted.
pub fn tokens<S: AccountStore + StoreRead + ?Sized>(store: &S) {
    assert!(store.use_token("nope").expect("lookup").is_none());
    let token = store
        .create_token("admin", "ci", "abc123", Role::Operator)
        .expect("create");
    assert_eq!(token.role, Role::Operator);
    assert!(token.last_used_at.is_none());
    let rev = store.revision().expect("revision");
    let used = store.use_token("abc123").expect("lookup").expect("found");
    assert_eq!((used.id, used.role), (token.id, Role::Operator));
    assert!(used.last_used_at.is_some());
    assert_eq!(
        store.revision().expect("revision"),
        rev,
        "using a token is not a change"
    );
    let second = store
        .create_token("admin", "deploy", "def456", Role::Viewer)
        .expect("create");
    let ids: Vec<i64> = store
        .tokens()
        .expect("list")
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, [second.id, token.id]);
    store.delete_token("admin", token.id).expect("delete");
    assert!(store.use_token("abc123").expect("lookup").is_none());
    assert!(matches!(
        store.delete_token("admin", token.id),
        Err(Error::TokenNotFound(_))
    ));
}

/// Accounts and tokens have a role: `put_account` makes admins and keeps the role on a new
/// password, `create_account` makes any role and refuses a taken name, `set_role` changes it
/// and ends the account's sessions; the audit keeps the role.
pub fn roles<S: AccountStore + StoreRead + ?Sized>(store: &S) {
    let first = store
        .put_account("system", "root", "$argon2id$h1")
        .expect("create");
    assert_eq!(first.role, Role::Admin, "put_account makes an admin");
    let viewer = store
        .create_account("root (admin)", "vera", "$argon2id$h2", Role::Viewer)
        .expect("create");
    assert_eq!((viewer.role, viewer.session_epoch), (Role::Viewer, 0));
    let read = |name: &str| store.account(name).expect("read").expect("exists");
    assert_eq!(read("vera").role, Role::Viewer);

    let rev = store.revision().expect("revision");
    assert!(matches!(
        store.create_account("root (admin)", "vera", "$argon2id$h3", Role::Admin),
        Err(Error::AccountExists(name)) if name == "vera"
    ));
    assert_eq!(store.revision().expect("revision"), rev, "nothing written");
    assert_eq!(read("vera").password_hash, "$argon2id$h2");
    assert!(matches!(
        store.create_account("root", "", "h", Role::Viewer),
        Err(Error::InvalidName { .. })
    ));

    store
        .put_account("vera", "vera", "$argon2id$h4")
        .expect("new password");
    assert_eq!(
        read("vera").role,
        Role::Viewer,
        "a new password keeps the role"
    );

    let promoted = store
        .set_role("root (admin)", "vera", Role::Operator)
        .expect("set role");
    assert_eq!(promoted.role, Role::Operator);
    assert_eq!(read("vera").role, Role::Operator);
    assert_eq!(promoted.session_epoch, 2, "a new role ends the sessions");
    let entry = store
        .audit(AuditQuery {
            before: None,
            limit: 1,
        })
        .expect("audit")
        .remove(0);
    assert_eq!(entry.actor, "root (admin)");
    let role_in = |json: &Option<serde_json::Value>| {
        json.as_ref()
            .and_then(|j| j["role"].as_str().map(str::to_string))
            .expect("the role in the audit")
    };
    assert_eq!(
        (role_in(&entry.before), role_in(&entry.after)),
        ("viewer".to_string(), "operator".to_string())
    );
    let rev = store.revision().expect("revision");
    assert!(matches!(
        store.set_role("root", "nobody", Role::Admin),
        Err(Error::AccountNotFound(name)) if name == "nobody"
    ));
    assert_eq!(store.revision().expect("revision"), rev, "nothing written");

    let names_roles: Vec<(String, Role)> = store
        .accounts()
        .expect("list")
        .into_iter()
        .map(|a| (a.username, a.role))
        .collect();
    assert_eq!(
        names_roles,
        [
            ("root".to_string(), Role::Admin),
            ("vera".to_string(), Role::Operator)
        ]
    );
    let token = store
        .create_token("root (admin)", "dash", "h-dash", Role::Viewer)
        .expect("token");
    let listed = store.tokens().expect("list").remove(0);
    assert_eq!((listed.id, listed.role), (token.id, Role::Viewer));
    let entry = store
        .audit(AuditQuery {
            before: None,
            limit: 1,
        })
        .expect("audit")
        .remove(0);
    assert_eq!(role_in(&entry.after), "viewer");
}
