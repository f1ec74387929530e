//! Requests answered once (重复提交防护): what a request finds under its key. The HTTP layer
//! derives keys; the store keeps the first answer; services decide when to keep or forget it.

/// The answer kept for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What a request under a key finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had it (or its first holder stopped answering): this request handles it.
    Fresh,
    /// Answered before, with the same request.
    Answered(Answer),
    /// Another request with the same key is being handled now.
    Pending,
    /// The key was used before with another request body.
    Mismatch,
}
