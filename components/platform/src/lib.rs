//! Platform endpoints: OpenAPI document, health, problem-details 404.
