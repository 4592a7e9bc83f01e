//! Importing a config as exported, or as django-dynamic-logging's editor saves it.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use askama::Template;
use dynlog_core::{Error, LoggingConfig, NewConfig};

use super::Page;
use super::frame::{Ctx, FormError, Frame, Invalid, html};
use crate::AdminState;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    page: Frame,
    name: String,
    json: String,
    error: Option<FormError>,
    /// The config just imported, `(id, name)`, shown with the conversion's warnings.
    imported: Option<(i64, String)>,
    warnings: Vec<String>,
}

pub(crate) async fn import_form(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    Ok(html(
        StatusCode::OK,
        &ImportPage {
            page: ctx.frame("configs"),
            name: String::new(),
            json: String::new(),
            error: None,
            imported: None,
            warnings: Vec::new(),
        },
    ))
}

/// The name and body an import describes, with the conversion's warnings: `{"name", "body"}` as
/// exported, `{"name", "config_json"}` as the API takes it, or a bare body, dynlog's or as
/// django-dynamic-logging's editor saves it.
fn parse_import(name: &str, json: &str) -> Result<(NewConfig, Vec<String>), Error> {
    let wrapper = match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(object))
            if object.contains_key("body") || object.contains_key("config_json") =>
        {
            Some(object)
        }
        // Anything else is a bare body, whose errors from_seed_json reports.
        _ => None,
    };
    let (exported_name, (body, warnings)) = match &wrapper {
        Some(object) => {
            let key = if object.contains_key("body") {
                "body"
            } else {
                "config_json"
            };
            let body = object.get(key).unwrap_or(&serde_json::Value::Null);
            (
                object.get("name").and_then(|n| n.as_str()),
                crate::api::seed_config(key, body)?,
            )
        }
        None => (None, LoggingConfig::from_seed_json(json)?),
    };
    let name = if name.is_empty() {
        exported_name.unwrap_or_default().to_string()
    } else {
        name.to_string()
    };
    Ok((NewConfig { name, body }, warnings))
}

pub(crate) async fn import(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let name = form.text("name");
    let json = form.get("json").unwrap_or("").to_string();
    // The message, on the name when it is about the name, else on the JSON.
    let again = |e: &dyn std::fmt::Display, field: Option<String>| {
        let field = match field.as_deref() {
            Some("name" | "config name") => "import-name",
            _ => "import-json",
        };
        html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportPage {
                page: ctx.frame("configs"),
                name: name.clone(),
                json: json.clone(),
                error: Some(FormError::new(e.to_string(), Some(field.into()))),
                imported: None,
                warnings: Vec::new(),
            },
        )
    };
    let (new, warnings) = match parse_import(&name, &json) {
        Ok(parsed) => parsed,
        Err(e) => {
            let field = crate::error::Error::from(e);
            return Ok(again(&field, field.field_name()));
        }
    };
    let actor = ctx.actor();
    let saved = ctx.submit(move |c| c.create_config(&actor, &new)).await?;
    Ok(match saved {
        Ok(config) if warnings.is_empty() => ctx.redirect(&format!("/configs/{}", config.id.0)),
        // What was dropped is said once, here: the config's page cannot tell.
        Ok(config) => html(
            StatusCode::OK,
            &ImportPage {
                page: ctx.frame("configs"),
                name: String::new(),
                json: String::new(),
                error: None,
                imported: Some((config.id.0, config.name)),
                warnings,
            },
        ),
        Err(e) => again(&e, e.field_name()),
    })
}
