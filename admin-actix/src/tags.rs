//! [`RequestTags`]: an actix-web middleware that sets each request's context tags, so that
//! scoped configs (`"scope": {"tenant": ["acme"]}`) match its records.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::HeaderName;
use dynlog_core::context::{self, InContext, Tags};
use sha2::{Digest, Sha256};

/// The header a client sends its debug token in.
pub const DEBUG_HEADER: &str = "X-Dynlog-Debug";
pub use dynlog_core::context::DEBUG_TOKEN_KEY;
/// The length of a debug token as [`new_debug_token`] makes it; other lengths are ignored.
const TOKEN_LEN: usize = 32;

type UserFn = dyn Fn(&ServiceRequest) -> Option<String> + Send + Sync;

/// Sets each request's context tags from what the application declares: request headers mapped
/// to keys, a closure for the user, and the debug token header. Every record the request's
/// handlers log (on the worker thread that runs them) carries them.
///
/// ```
/// use actix_web::App;
/// use dynlog_actix::RequestTags;
///
/// let app = App::new().wrap(
///     RequestTags::new()
///         .header("X-Tenant", "tenant")
///         .user(|request| request.headers().get("X-User")?.to_str().ok().map(str::to_string))
///         .debug_token(),
/// );
/// ```
///
/// Header-mapped tags are set by the client: they only ever match scoped configs that add
/// output for the client's own requests. For anything sensitive use the debug token (random,
/// valid as long as its window) or the user from server-side identity. Values longer than
/// [`context::MAX_TAG_LEN`] bytes, or not visible ASCII, are ignored.
///
/// Work a handler moves to another thread (`web::block`) runs outside the context unless it
/// enters it there (`context::with(tags, ..)` with `context::current()` taken before).
#[derive(Clone, Default)]
pub struct RequestTags {
    headers: Vec<(HeaderName, String)>,
    user: Option<Arc<UserFn>>,
    debug: bool,
}

impl RequestTags {
    /// A middleware that sets no tags yet.
    pub fn new() -> Self {
        RequestTags::default()
    }

    /// Sets tag `key` to the value of request header `header`, when present.
    ///
    /// # Panics
    ///
    /// When `header` is not a valid header name (a mistake in the application's code).
    #[allow(clippy::expect_used)]
    pub fn header(mut self, header: &str, key: impl Into<String>) -> Self {
        let name = HeaderName::try_from(header).expect("RequestTags::header: a valid header name");
        self.headers.push((name, key.into()));
        self
    }

    /// Sets tag `user` to what `user` says of the request (from the application's session or
    /// a trusted proxy's header).
    pub fn user(
        mut self,
        user: impl Fn(&ServiceRequest) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.user = Some(Arc::new(user));
        self
    }

    /// Reads the [`DEBUG_HEADER`] header: a token of a "Debug my requests" window makes the
    /// request match it (tag [`DEBUG_TOKEN_KEY`], the token's hash). A guessed or expired
    /// token matches no window, and does nothing.
    pub fn debug_token(mut self) -> Self {
        self.debug = true;
        self
    }

    /// The tags of `request`.
    pub fn tags_of(&self, request: &ServiceRequest) -> Tags {
        let headers = request.headers();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (header, key) in &self.headers {
            if let Some(value) = headers.get(header).and_then(|v| v.to_str().ok()) {
                pairs.push((key.clone(), value.to_string()));
            }
        }
        if let Some(user) = self.user.as_ref().and_then(|user| user(request)) {
            pairs.push(("user".into(), user));
        }
        if self.debug
            && let Some(token) = headers.get(DEBUG_HEADER).and_then(|v| v.to_str().ok())
            && token.len() == TOKEN_LEN
        {
            pairs.push((DEBUG_TOKEN_KEY.into(), debug_token_tag(token)));
        }
        Tags::new(pairs)
    }
}

/// A new debug token: 32 random letters and digits (about 190 bits).
pub fn new_debug_token() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = [0u8; TOKEN_LEN];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// The tag value a debug token is matched as: the first 32 hex digits of its SHA-256, so a
/// scope holds no token an admin page could show.
pub fn debug_token_tag(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    crate::auth::hex(&digest[..16])
}

impl<S, B> Transform<S, ServiceRequest> for RequestTags
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RequestTagsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestTagsService {
            service,
            tags: Rc::new(self.clone()),
        }))
    }
}

/// The service [`RequestTags`] wraps around the application's.
pub struct RequestTagsService<S> {
    service: S,
    tags: Rc<RequestTags>,
}

impl<S, B> Service<ServiceRequest> for RequestTagsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = InContext<S::Future>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let tags = self.tags.tags_of(&request);
        // What the inner services do in `call` itself runs in the context too.
        let entered = context::enter(match context::current() {
            Some(outer) => outer.merged(&tags),
            None => tags.clone(),
        });
        let future = self.service.call(request);
        entered.exit();
        context::wrap(tags, future)
    }
}
