//! One handler per Lambda function. Each only translates: HTTP in, a domain call, HTTP out.

use crate::adapters::pdf_fetch::FetchPolicy;
use crate::api::{ConnectRequest, CreditUsage, ListCasRequest, ParseRequest, TokenRequest};
use crate::domain::inbox::{CallbackOutcome, CallbackQuery, Caller, Inbox};
use crate::domain::parsing;
use crate::error::{ApiError, ErrorCode};
use crate::gateway::{self, API_KEY, INBOX_TOKEN, header, request_id, require_method};
use crate::parse_input;
use http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use rust_decimal::Decimal;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What every function keeps for the life of its process.
pub struct App {
    pub inbox: Inbox,
    /// See `Config::public_base_url`.
    pub public_base_url: Option<String>,
    pub fetch_policy: FetchPolicy,
}

/// A free call's credit headers: nothing used, the balance as read at authentication.
fn free(caller: &Caller) -> CreditUsage {
    CreditUsage {
        used: Decimal::ZERO,
        remaining: caller.tenant.credits,
    }
}

/// Method check, `x-api-key` and the tenant's rate limit: who is calling, or the error
/// response to send. Every authenticated endpoint starts here, so every authenticated request
/// counts against the limit (failed ones too), and a refused one (429 `RATE_LIMITED` with
/// `Retry-After`) does nothing else and costs nothing.
async fn caller_of(app: &App, req: &Request, rid: &str) -> Result<Caller, Response<Body>> {
    let result = match require_method(req, Method::POST) {
        Ok(()) => app.inbox.authenticate(header(req, API_KEY)).await,
        Err(e) => Err(e),
    };
    let caller = result.map_err(|e| gateway::error(&e, rid))?;
    if let Err(limited) = app.inbox.admit(&caller).await {
        let response = gateway::respond::<()>(Err(limited.error()), Some(free(&caller)), rid);
        return Err(gateway::with_retry_after(
            response,
            limited.retry_after_seconds,
        ));
    }
    Ok(caller)
}

pub async fn connect(app: Arc<App>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let caller = match caller_of(&app, &req, &rid).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let result = async {
        let body: ConnectRequest = gateway::json_body(&req)?;
        let base = public_base(&app, &req)?;
        let callback_url = format!("{base}/v4/inbox/callback");
        app.inbox.connect(&caller, body, &callback_url).await
    }
    .await;
    gateway::respond(result, Some(free(&caller)), &rid)
}

/// The base URL links and callbacks are built on.
fn public_base(app: &App, req: &Request) -> Result<String, ApiError> {
    app.public_base_url
        .clone()
        .or_else(|| gateway::base_url_of(req))
        .ok_or_else(|| ApiError::invalid_request("Missing Host header"))
}

pub async fn cas(app: Arc<App>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let caller = match caller_of(&app, &req, &rid).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let (body, base) = match gateway::json_body::<ListCasRequest>(&req)
        .and_then(|body| Ok((body, public_base(&app, &req)?)))
    {
        Ok(parsed) => parsed,
        Err(e) => return gateway::respond::<()>(Err(e), Some(free(&caller)), &rid),
    };
    let (result, credits) = app
        .inbox
        .list_cas(
            &caller,
            header(&req, INBOX_TOKEN),
            &body,
            &base,
            listing_deadline(&req),
        )
        .await;
    gateway::respond(result, Some(credits), &rid)
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
/// multipart; see `parse_input`.
pub async fn parse(app: Arc<App>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let expected = parsing::route_kind(req.uri().path());
    let caller = match caller_of(&app, &req, &rid).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let decoded = async {
        let base = public_base(&app, &req)?;
        let content_type = header(&req, "content-type");
        let input = if parse_input::is_multipart(content_type) {
            let body = gateway::body_bytes(&req);
            if body.len() > parse_input::MAX_PARSE_BODY_BYTES {
                return Err(crate::adapters::pdf_fetch::too_large());
            }
            parse_input::from_multipart(content_type.unwrap_or_default(), body.to_vec()).await?
        } else {
            let body: ParseRequest =
                gateway::json_body_up_to(&req, parse_input::MAX_PARSE_BODY_BYTES)?;
            parse_input::from_json(body)?
        };
        Ok((input, base))
    }
    .await;
    let (input, base) = match decoded {
        Ok(decoded) => decoded,
        Err(e) => return gateway::respond::<()>(Err(e), Some(free(&caller)), &rid),
    };
    let (result, credits) = app
        .inbox
        .smart_parse(&caller, input, expected, app.fetch_policy, &base)
        .await;
    gateway::respond(result, Some(credits), &rid)
}

/// `GET /v4/files/{connection}/{filename}?expires=…&sig=…`: checks our 24-hour link, then
/// redirects to a presigned S3 URL that lives a few minutes.
pub async fn download(app: Arc<App>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let result = async {
        require_method(&req, Method::GET)?;
        let path = req
            .uri()
            .path()
            .strip_prefix("/v4/files/")
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No such file"))?;
        let q = gateway::query(&req);
        let expires = q.get("expires").and_then(|e| e.parse::<i64>().ok());
        let signature = q.get("sig").map(String::as_str).unwrap_or("");
        app.inbox.download_url(path, expires, signature).await
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
    let rid = request_id(&req);
    let caller = match caller_of(&app, &req, &rid).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let result = async {
        let _: NoFields = gateway::json_body(&req)?;
        app.inbox.status(&caller, header(&req, INBOX_TOKEN)).await
    }
    .await;
    gateway::respond(result, Some(free(&caller)), &rid)
}

pub async fn disconnect(app: Arc<App>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let caller = match caller_of(&app, &req, &rid).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let result = async {
        let _: NoFields = gateway::json_body(&req)?;
        app.inbox
            .disconnect(&caller, header(&req, INBOX_TOKEN))
            .await
    }
    .await;
    gateway::respond(result, Some(free(&caller)), &rid)
}

/// `POST /v4/inbox/token`: the code flow's exchange of a one-time code for the inbox token.
pub async fn token(app: Arc<App>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let caller = match caller_of(&app, &req, &rid).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let result = async {
        let body: TokenRequest = gateway::json_body(&req)?;
        app.inbox.exchange_code(&caller, body).await
    }
    .await;
    gateway::respond(result, Some(free(&caller)), &rid)
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
