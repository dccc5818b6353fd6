//! One handler per Lambda function. Each only translates: HTTP in, a domain call, HTTP out.

use crate::api::{CasRequest, ConnectRequest, ParseRequest, TokenRequest};
use crate::app::App;
use crate::domain::connection::{CallbackOutcome, CallbackQuery};
use crate::domain::credits::CreditMeter;
use crate::domain::parse;
use crate::domain::service::Caller;
use crate::domain::stored_files::SignedLink;
use crate::error::ApiError;
use crate::gateway::{self, API_KEY, INBOX_TOKEN, decode, header, request_id, require_method};
use futures::future::BoxFuture;
use http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A function's handler, boxed so that fronts that route in process can hold any of them.
pub type Handler = fn(Arc<App>, Request) -> BoxFuture<'static, Response<Body>>;

/// The handler of a function (`routes::Route::function`), for fronts that route in process.
pub fn handler_of(function: &str) -> Option<Handler> {
    Some(match function {
        "connect" => |app, req| Box::pin(connect(app, req)),
        "callback" => |app, req| Box::pin(callback(app, req)),
        "status" => |app, req| Box::pin(status(app, req)),
        "disconnect" => |app, req| Box::pin(disconnect(app, req)),
        "token" => |app, req| Box::pin(token(app, req)),
        "cas" => |app, req| Box::pin(cas(app, req)),
        "parse" => |app, req| Box::pin(parse(app, req)),
        "download" => |app, req| Box::pin(download(app, req)),
        _ => return None,
    })
}

/// Every endpoint that takes `x-api-key`: the method check, the key and the tenant's rate
/// limit, then `work` with the caller and the call's credit meter. Every authenticated request
/// counts against the limit (failed ones too), and a refused one (429 `RATE_LIMITED` with
/// `Retry-After`) does nothing else and costs nothing. Once the caller is known the answer
/// carries the credit headers, whatever `work` answers.
async fn authenticated<T, F, Fut>(app: &App, req: &Request, work: F) -> Response<Body>
where
    T: Serialize,
    F: FnOnce(Caller, CreditMeter) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let rid = request_id(req);
    let result = match require_method(req, Method::POST) {
        Ok(()) => app.inbox.authenticate(header(req, API_KEY)).await,
        Err(e) => Err(e),
    };
    let caller = match result {
        Ok(caller) => caller,
        Err(e) => return gateway::error(&e, &rid),
    };
    let meter = CreditMeter::new(caller.tenant.credits);
    if let Err(limited) = app.inbox.admit(&caller).await {
        let response = gateway::respond::<()>(Err(limited.error()), Some(meter.usage()), &rid);
        return gateway::with_retry_after(response, limited.retry_after_seconds);
    }
    let result = work(caller, meter.clone()).await;
    gateway::respond(result, Some(meter.usage()), &rid)
}

/// The base URL links and callbacks are built on.
fn public_base(app: &App, req: &Request) -> Result<String, ApiError> {
    app.public_base_url
        .clone()
        .or_else(|| gateway::base_url_of(req))
        .ok_or_else(|| ApiError::invalid_request("Missing Host header"))
}

pub async fn connect(app: Arc<App>, req: Request) -> Response<Body> {
    let (app, req) = (app.as_ref(), &req);
    authenticated(app, req, |caller, _| async move {
        let body: ConnectRequest = gateway::json_body(req)?;
        let callback_url = format!("{}/v4/inbox/callback", public_base(app, req)?);
        app.inbox.connect(&caller, body, &callback_url).await
    })
    .await
}

pub async fn cas(app: Arc<App>, req: Request) -> Response<Body> {
    let (app, req) = (app.as_ref(), &req);
    authenticated(app, req, |caller, meter| async move {
        let body: CasRequest = gateway::json_body(req)?;
        let base = public_base(app, req)?;
        let token = header(req, INBOX_TOKEN);
        let deadline = listing_deadline(req);
        app.inbox
            .cas(&caller, token, &body, &base, deadline, &meter)
            .await
    })
    .await
}

/// Time a listing keeps, after its deadline, to sort, answer and be billed before Lambda
/// stops the function.
const LISTING_MARGIN: Duration = Duration::from_secs(3);

/// When a listing stops reading mail: `LISTING_MARGIN` before the invocation's own deadline.
/// Without a Lambda context (tests, local fronts) there is none.
fn listing_deadline(req: &Request) -> Option<tokio::time::Instant> {
    let lambda_deadline = req.lambda_context_ref()?.deadline();
    let left = lambda_deadline.duration_since(SystemTime::now()).ok()?;
    Some(tokio::time::Instant::now() + left.saturating_sub(LISTING_MARGIN))
}

/// `POST /v4/smart/parse` and the type-specific `POST /v4/{cams_kfintech,cdsl,nsdl}/parse`
/// (the vendor SDK's routes; same input, and a statement of another kind is 422): JSON or
/// multipart; see `gateway::decode`.
pub async fn parse(app: Arc<App>, req: Request) -> Response<Body> {
    let (app, req) = (app.as_ref(), &req);
    let expected = parse::route_kind(req.uri().path());
    authenticated(app, req, |caller, meter| async move {
        let base = public_base(app, req)?;
        let content_type = header(req, "content-type");
        let input = if decode::is_multipart(content_type) {
            let body = gateway::body_bytes(req);
            if body.len() > decode::MAX_PARSE_BODY_BYTES {
                return Err(crate::domain::too_large());
            }
            decode::from_multipart(content_type.unwrap_or_default(), body.to_vec()).await?
        } else {
            let body: ParseRequest = gateway::json_body_up_to(req, decode::MAX_PARSE_BODY_BYTES)?;
            decode::from_json(body)?
        };
        app.inbox
            .parse(&caller, input, expected, &base, &meter)
            .await
    })
    .await
}

/// `GET /v4/files/{connection}/{filename}?expires=…&sig=…`: checks our 24-hour link, then
/// redirects to a presigned S3 URL that lives a few minutes.
pub async fn download(app: Arc<App>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let result = async {
        require_method(&req, Method::GET)?;
        let link = SignedLink::parse(req.uri().path(), req.uri().query().unwrap_or(""))?;
        app.inbox.download(&link).await
    }
    .await;
    match result {
        Ok(location) => gateway::redirect(&location, &rid),
        Err(e) => gateway::error(&e, &rid),
    }
}

/// Any JSON object (or no body): status and disconnect take no fields.
type NoFields = serde_json::Map<String, serde_json::Value>;

pub async fn status(app: Arc<App>, req: Request) -> Response<Body> {
    let (app, req) = (app.as_ref(), &req);
    authenticated(app, req, |caller, _| async move {
        let _: NoFields = gateway::json_body(req)?;
        app.inbox.status(&caller, header(req, INBOX_TOKEN)).await
    })
    .await
}

pub async fn disconnect(app: Arc<App>, req: Request) -> Response<Body> {
    let (app, req) = (app.as_ref(), &req);
    authenticated(app, req, |caller, _| async move {
        let _: NoFields = gateway::json_body(req)?;
        app.inbox
            .disconnect(&caller, header(req, INBOX_TOKEN))
            .await
    })
    .await
}

/// `POST /v4/inbox/token`: the code flow's exchange of a one-time code for the inbox token.
pub async fn token(app: Arc<App>, req: Request) -> Response<Body> {
    let (app, req) = (app.as_ref(), &req);
    authenticated(app, req, |caller, _| async move {
        let body: TokenRequest = gateway::json_body(req)?;
        app.inbox.exchange_code(&caller, body).await
    })
    .await
}

/// Google sends the browser here; the answer is a redirect to the app or a plain page.
pub async fn callback(app: Arc<App>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    if let Err(e) = require_method(&req, Method::GET) {
        return gateway::error(&e, &rid);
    }
    let mut q = gateway::query(&req);
    let query = CallbackQuery {
        state: q.remove("state"),
        code: q.remove("code"),
        error: q.remove("error"),
        scope: q.remove("scope"),
    };
    match app.inbox.callback(query).await {
        CallbackOutcome::Redirect(location) => gateway::redirect(&location, &rid),
        CallbackOutcome::ErrorPage(message) => {
            gateway::html_error_page(StatusCode::BAD_REQUEST, &message, &rid)
        }
    }
}
