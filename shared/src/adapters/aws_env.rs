//! The SDK configuration a Lambda function needs: its region and credentials are in the
//! environment Lambda gives it. Building it here rather than through `aws_config::load_defaults`
//! keeps the full credential chain (profiles, IMDS, ECS, web identity through STS) out of
//! every bootstrap (README "Builds").

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

/// Region and credentials from the environment (`AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), `AWS_ENDPOINT_URL` when set (an emulator),
/// and the SDK's HTTP client on reqwest ([`super::aws_http`]).
pub fn lambda_sdk_config() -> Result<SdkConfig, String> {
    sdk_config_from(|name| std::env::var(name).ok())
}

fn sdk_config_from(var: impl Fn(&str) -> Option<String>) -> Result<SdkConfig, String> {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .ok_or("AWS_REGION is not set")?;
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(super::aws_http::client());
    if let Some(endpoint) = var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(endpoint);
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_and_endpoint_come_from_the_environment() {
        let env = |name: &str| match name {
            "AWS_DEFAULT_REGION" => Some("ap-south-1".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:4566".to_string()),
            _ => None,
        };
        let config = sdk_config_from(env).unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("ap-south-1"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:4566"));
        assert!(config.credentials_provider().is_some());
    }

    #[test]
    fn a_function_without_a_region_does_not_start() {
        let env = |name: &str| (name == "AWS_REGION").then(|| " ".to_string());
        assert_eq!(sdk_config_from(env).unwrap_err(), "AWS_REGION is not set");
    }
}
