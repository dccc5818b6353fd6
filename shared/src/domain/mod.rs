//! Plain async Rust over small traits (`ports`): no AWS, HTTP or Lambda types in here.

pub mod inbox;
pub mod inbox_token;
pub mod model;
pub mod pkce;
pub mod ports;
pub mod redirect_uri;
pub mod secrets;
pub mod tenants;
