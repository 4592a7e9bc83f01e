//! The application's identity: an [`Authenticator`] the application plugs into the admin so
//! that people signed in to the application (its own session, a trusted reverse proxy's header,
//! a bearer JWT) use the admin without its login. The built-in login and API tokens stay, for
//! requests the authenticator does not recognise.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header::{AUTHORIZATION, HeaderName};
use dynlog_core::store::Role;
use jsonwebtoken::{DecodingKey, Validation};

/// The longest name an authenticator may give: longer ones are refused, never cut.
pub const MAX_IDENTITY_NAME: usize = 255;

/// Who makes a request, as the application says: a name (audited as the author of changes)
/// and what they may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    name: String,
    role: Role,
}

impl Identity {
    /// `name` with `role`. A name that is empty, longer than [`MAX_IDENTITY_NAME`] or holds
    /// control characters is refused (it ends up in the audit and in log lines).
    pub fn new(name: impl Into<String>, role: Role) -> Result<Identity, Refused> {
        let name = name.into();
        if name.trim().is_empty()
            || name.len() > MAX_IDENTITY_NAME
            || name.chars().any(char::is_control)
        {
            return Err(Refused::new(format!(
                "the identity's name {:?} is empty, over {MAX_IDENTITY_NAME} bytes or holds \
                 control characters",
                shown(&name)
            )));
        }
        Ok(Identity { name, role })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }
}

/// Why an authenticator refused a request's credential: the request is answered 401 (API) or
/// 403 (pages) with this message, and nothing else is tried.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(String);

impl Refused {
    /// A refusal saying `message` (shown to the caller: never put a secret in it).
    pub fn new(message: impl Into<String>) -> Refused {
        Refused(message.into())
    }
}

/// Says who makes a request, from what the application already knows about it.
///
/// It runs on the async workers for every admin request, before the built-in session and the
/// API tokens are looked at: it must be quick and must not block (read the request, its
/// extensions or its cookies; verify a signature).
///
/// # For implementors
///
/// Answer `Ok(Some(identity))` for a request you recognise, `Ok(None)` for one that carries
/// nothing of yours (the built-in login and API tokens then apply), and `Err(Refused)` for a
/// credential of yours that is wrong (expired, forged): the request is refused, not passed on.
/// A closure `Fn(&HttpRequest) -> Result<Option<Identity>, Refused>` is an authenticator.
pub trait Authenticator: Send + Sync + 'static {
    /// Who makes `req`, if the application knows.
    fn authenticate(&self, req: &HttpRequest) -> Result<Option<Identity>, Refused>;
}

impl<F> Authenticator for F
where
    F: Fn(&HttpRequest) -> Result<Option<Identity>, Refused> + Send + Sync + 'static,
{
    fn authenticate(&self, req: &HttpRequest) -> Result<Option<Identity>, Refused> {
        self(req)
    }
}

/// A name as a message may quote it: at most 60 characters.
fn shown(value: &str) -> String {
    value.chars().take(60).collect()
}

/// The user (and role) in headers set by a reverse proxy that authenticated them, believed only
/// from the proxies' own addresses: from anybody else the headers are ignored (and logged),
/// since any client can send them.
#[derive(Clone, Debug)]
pub struct TrustedProxy {
    user_header: HeaderName,
    role_header: Option<HeaderName>,
    default_role: Option<Role>,
    proxies: Vec<IpAddr>,
    ignored: Arc<Mutex<Ignored>>,
}

/// How often a [`TrustedProxy`] says it ignored the header from a peer it does not trust.
const IGNORED_EVERY: Duration = Duration::from_secs(60);

/// Headers ignored since the last warning: a client sending the header on every request makes
/// one line a minute, not one a request.
#[derive(Debug, Default)]
struct Ignored {
    warned: Option<Instant>,
    count: u64,
}

impl Ignored {
    /// Counts one ignored header at `now`; the count to warn about when a warning is due.
    fn note(&mut self, now: Instant) -> Option<u64> {
        self.count = self.count.saturating_add(1);
        if self
            .warned
            .is_some_and(|at| now.saturating_duration_since(at) < IGNORED_EVERY)
        {
            return None;
        }
        self.warned = Some(now);
        Some(std::mem::take(&mut self.count))
    }
}

impl TrustedProxy {
    /// Takes the user from `user_header` (such as `X-Forwarded-User`) on requests whose peer is
    /// one of `proxies`. With neither [`TrustedProxy::role_header`] nor
    /// [`TrustedProxy::default_role`], every such user is a viewer.
    pub fn new(
        user_header: &str,
        proxies: impl IntoIterator<Item = IpAddr>,
    ) -> Result<TrustedProxy, dynlog_core::Error> {
        Ok(TrustedProxy {
            user_header: header_name("user header", user_header)?,
            role_header: None,
            default_role: Some(Role::Viewer),
            proxies: proxies.into_iter().collect(),
            ignored: Arc::default(),
        })
    }

    /// Takes the role from `header` (`viewer`, `operator` or `admin`); a request from a proxy
    /// without it gets the default role, if one is set, or is refused.
    pub fn role_header(mut self, header: &str) -> Result<TrustedProxy, dynlog_core::Error> {
        self.role_header = Some(header_name("role header", header)?);
        Ok(self)
    }

    /// The role of a user whose request carries no role header; `None` refuses such requests.
    pub fn default_role(mut self, role: Option<Role>) -> TrustedProxy {
        self.default_role = role;
        self
    }
}

fn header_name(field: &'static str, name: &str) -> Result<HeaderName, dynlog_core::Error> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|e| dynlog_core::Error::Invalid {
        field,
        value: shown(name),
        reason: format!("not a header name: {e}"),
    })
}

impl Authenticator for TrustedProxy {
    fn authenticate(&self, req: &HttpRequest) -> Result<Option<Identity>, Refused> {
        let Some(user) = req.headers().get(&self.user_header) else {
            return Ok(None);
        };
        let peer = req.peer_addr().map(|a| a.ip());
        if !peer.is_some_and(|ip| self.proxies.contains(&ip)) {
            let due = self
                .ignored
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .note(Instant::now());
            if let Some(count) = due {
                log::warn!(
                    target: "dynlog::admin",
                    "ignored {} from {}: not a trusted proxy ({count} such request{} since the \
                     last warning; the next in a minute at the soonest)",
                    self.user_header,
                    peer.map_or_else(|| "an unknown peer".into(), |ip| ip.to_string()),
                    if count == 1 { "" } else { "s" },
                );
            }
            return Ok(None);
        }
        let user = user
            .to_str()
            .map_err(|_| Refused::new(format!("{} is not printable ASCII", self.user_header)))?;
        let role = match self
            .role_header
            .as_ref()
            .and_then(|h| req.headers().get(h).map(|v| (h, v)))
        {
            Some((header, value)) => {
                let text = value.to_str().unwrap_or("");
                Role::parse_in("role", text).map_err(|_| {
                    Refused::new(format!(
                        "{header} {:?} is not a role (viewer, operator, admin)",
                        shown(text)
                    ))
                })?
            }
            None => self.default_role.ok_or_else(|| {
                Refused::new(format!(
                    "the proxy sent no {}",
                    self.role_header
                        .as_ref()
                        .map_or("role header", HeaderName::as_str)
                ))
            })?,
        };
        Identity::new(user, role).map(Some)
    }
}

/// A bearer JWT the application's identity provider signed: verified with its key (signature,
/// expiry, and whatever else the [`Validation`] asks: issuer, audience), the name from a claim
/// (`sub` by default) and the role from another (`role` by default). Bearer values that are not
/// JWTs (the admin's own API tokens) are left to the built-in check.
#[derive(Clone)]
pub struct JwtBearer {
    key: DecodingKey,
    validation: Validation,
    name_claim: String,
    role_claim: String,
    default_role: Option<Role>,
}

impl std::fmt::Debug for JwtBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtBearer")
            .field("algorithms", &self.validation.algorithms)
            .field("name_claim", &self.name_claim)
            .field("role_claim", &self.role_claim)
            .finish_non_exhaustive()
    }
}

impl JwtBearer {
    /// Verifies tokens with `key` as `validation` says (`Validation::new(Algorithm::RS256)`
    /// plus `set_issuer` and `set_audience`, say). A token without the role claim is refused
    /// unless [`JwtBearer::default_role`] gives one.
    pub fn new(key: DecodingKey, validation: Validation) -> JwtBearer {
        JwtBearer {
            key,
            validation,
            name_claim: "sub".into(),
            role_claim: "role".into(),
            default_role: None,
        }
    }

    /// The claim holding the name (`sub` by default).
    pub fn name_claim(mut self, claim: &str) -> JwtBearer {
        self.name_claim = claim.into();
        self
    }

    /// The claim holding the role (`role` by default).
    pub fn role_claim(mut self, claim: &str) -> JwtBearer {
        self.role_claim = claim.into();
        self
    }

    /// The role of a token without the role claim; `None` (the default) refuses it.
    pub fn default_role(mut self, role: Option<Role>) -> JwtBearer {
        self.default_role = role;
        self
    }
}

/// The longest bearer JWT read: longer ones are refused before any decoding.
const MAX_JWT: usize = 8192;

impl Authenticator for JwtBearer {
    fn authenticate(&self, req: &HttpRequest) -> Result<Option<Identity>, Refused> {
        let Some(token) = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
        else {
            return Ok(None);
        };
        // The admin's API tokens are hex; a JWT is three dot-separated parts.
        if token.split('.').count() != 3 {
            return Ok(None);
        }
        if token.len() > MAX_JWT {
            return Err(Refused::new(format!(
                "the bearer JWT is over {MAX_JWT} bytes"
            )));
        }
        let claims = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &self.key,
            &self.validation,
        )
        .map_err(|e| Refused::new(format!("the bearer JWT was refused: {e}")))?
        .claims;
        let name = claims
            .get(&self.name_claim)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                Refused::new(format!("the bearer JWT has no {:?} claim", self.name_claim))
            })?;
        let role = match claims.get(&self.role_claim) {
            Some(value) => {
                let text = value.as_str().unwrap_or("");
                Role::parse_in("role", text).map_err(|_| {
                    Refused::new(format!(
                        "the bearer JWT's {:?} claim {} is not a role (viewer, operator, admin)",
                        self.role_claim,
                        shown(&value.to_string())
                    ))
                })?
            }
            None => self.default_role.ok_or_else(|| {
                Refused::new(format!("the bearer JWT has no {:?} claim", self.role_claim))
            })?,
        };
        Identity::new(name, role).map(Some)
    }
}

/// A caller the admin knows, by whichever way: the application's authenticator, the built-in
/// login's session, or an API token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The name changes are audited under: a username, `token:<name>`, or the application's.
    pub(crate) name: String,
    /// What it may do.
    pub(crate) role: Role,
}

impl Caller {
    /// The actor of its changes in the audit: its name and role.
    pub(crate) fn actor(&self) -> String {
        dynlog_core::store::audit_actor(&self.name, self.role)
    }
}

impl From<Identity> for Caller {
    fn from(identity: Identity) -> Caller {
        Caller {
            name: identity.name,
            role: identity.role,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn ignored_headers_are_reported_once_a_minute_with_their_count() {
        let mut ignored = Ignored::default();
        let start = Instant::now();
        assert_eq!(ignored.note(start), Some(1));
        for s in 1..60 {
            assert_eq!(ignored.note(start + Duration::from_secs(s)), None);
        }
        assert_eq!(ignored.note(start + Duration::from_secs(60)), Some(59 + 1));
        assert_eq!(ignored.note(start + Duration::from_secs(61)), None);
        assert_eq!(ignored.note(start + Duration::from_secs(200)), Some(2));
    }

    #[test]
    fn a_proxy_header_counts_only_from_the_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let auth = TrustedProxy::new("X-Forwarded-User", [proxy])
            .unwrap()
            .role_header("X-Forwarded-Role")
            .unwrap();
        let from = |ip: &str, role: Option<&str>| {
            let mut req = TestRequest::default()
                .peer_addr(format!("{ip}:4000").parse().unwrap())
                .insert_header(("X-Forwarded-User", "alice"));
            if let Some(role) = role {
                req = req.insert_header(("X-Forwarded-Role", role));
            }
            auth.authenticate(&req.to_http_request())
        };
        assert_eq!(
            from("10.0.0.5", Some("operator")).unwrap(),
            Some(Identity::new("alice", Role::Operator).unwrap())
        );
        assert_eq!(from("10.0.0.9", Some("admin")).unwrap(), None);
        assert_eq!(
            from("10.0.0.5", None).unwrap().unwrap().role(),
            Role::Viewer
        );
        let refused = from("10.0.0.5", Some("root")).unwrap_err().to_string();
        assert!(refused.contains("\"root\""), "{refused}");
        assert!(Identity::new("a\nb", Role::Viewer).is_err());
        assert!(Identity::new("x".repeat(300), Role::Viewer).is_err());
    }
}
