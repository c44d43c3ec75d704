//! 基本编码 and 实施编码: the basic catalog code and the implementation code, checked.

use serde::Serialize;

use crate::kernel::CreditCode;

/// 基本编码: an opaque code of 1–12 digits or capital letters (the layout of
/// GB/T 39554.1 is [U], so only length and charset are checked).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CatalogCode(String);

/// 实施编码: the implementing body's credit code, one character, and the
/// basic code (31 characters as observed on the national platform).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TaskCode(String);

/// Why a code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// A basic code of the wrong length or characters.
    #[error("基本编码应为1至12位数字或大写字母")]
    CatalogFormat,
    /// An implementation code of the wrong length or characters.
    #[error("实施编码应为不超过36位的数字或大写字母")]
    TaskFormat,
    /// An implementation code not in the 31-character layout.
    #[error("实施编码应为31位：18位统一社会信用代码、1位、12位基本编码")]
    TaskLayout,
    /// The first 18 characters are not a valid credit code.
    #[error("实施编码前18位不是有效的统一社会信用代码：{0}")]
    CreditCode(String),
    /// The last 12 characters are not the item's basic code.
    #[error("实施编码后12位应与基本编码一致")]
    CatalogMismatch,
}

impl CodeError {
    /// Stable code of the problem (`catalog_format`, `task_layout`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::CatalogFormat => "catalog_format",
            Self::TaskFormat => "task_format",
            Self::TaskLayout => "task_layout",
            Self::CreditCode(_) => "task_credit_code",
            Self::CatalogMismatch => "task_catalog_mismatch",
        }
    }
}

impl CatalogCode {
    /// Parses a basic code.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty()
            || s.len() > 12
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(CodeError::CatalogFormat);
        }
        Ok(Self(s))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TaskCode {
    /// Parses an implementation code. With `strict`, checks the observed
    /// 31-character layout: a valid credit code, one character, then the
    /// basic code `catalog` (switchable until GB/T 39554.1 is confirmed).
    pub fn parse(s: &str, catalog: Option<&CatalogCode>, strict: bool) -> Result<Self, CodeError> {
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty()
            || s.len() > 36
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(CodeError::TaskFormat);
        }
        if strict {
            if s.len() != 31 {
                return Err(CodeError::TaskLayout);
            }
            CreditCode::parse(&s[..18]).map_err(|e| CodeError::CreditCode(e.to_string()))?;
            if let Some(c) = catalog
                && format!("{:0>12}", c.as_str()) != s[19..]
            {
                return Err(CodeError::CatalogMismatch);
            }
        }
        Ok(Self(s))
    }

    /// Builds the strict code of an implementing body for a basic code.
    pub fn compose(
        body: &CreditCode,
        level_char: char,
        catalog: &CatalogCode,
    ) -> Result<Self, CodeError> {
        Self::parse(
            &format!("{}{}{:0>12}", body.as_str(), level_char, catalog.as_str()),
            Some(catalog),
            true,
        )
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
