//! The tables, as Diesel sees them. Times are microseconds since the Unix epoch.

diesel::table! {
    dynlog_configs (id) {
        id -> BigInt,
        name -> Text,
        body -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    dynlog_triggers (id) {
        id -> BigInt,
        name -> Text,
        is_active -> Bool,
        start_at -> Nullable<BigInt>,
        end_at -> Nullable<BigInt>,
        config_id -> BigInt,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    dynlog_revision (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    dynlog_audit (id) {
        id -> BigInt,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> BigInt,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
    }
}

diesel::table! {
    dynlog_accounts (username) {
        username -> Text,
        password_hash -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    dynlog_api_tokens (id) {
        id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(dynlog_triggers -> dynlog_configs (config_id));
diesel::allow_tables_to_appear_in_same_query!(dynlog_configs, dynlog_triggers);
