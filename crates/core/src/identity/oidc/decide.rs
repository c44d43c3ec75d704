//! The authorization decision (OpenID Connect Core §3.1.2), as a pure
//! function of what the request and the person's session bring: sign in
//! (again), refuse with an OAuth error, ask for a higher real-name level,
//! ask for consent, or issue a code. The handler gathers the inputs and
//! carries the decision out; every branch is tested here.

use crate::platform::clock::Millis;

/// What an authorization request and the browser's session bring.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeInput<'a> {
    /// The `prompt` values (`none`, `login`, `consent`, …).
    pub prompt: &'a [String],
    /// `max_age` in seconds, if given.
    pub max_age: Option<i64>,
    /// When the person's session began; `None` when nobody is signed in.
    pub session_started: Option<Millis>,
    /// When this client's demand for a fresh sign-in was made (`prompt=login`
    /// sends the person to sign in once and records the demand).
    pub reauth_since: Option<Millis>,
    /// The person's real-name level.
    pub level: i64,
    /// The level `acr_values` asks for, if any.
    pub needed_level: Option<i64>,
    /// Whether the client asks people's consent.
    pub require_consent: bool,
    /// The answer of the consent screen, when this is its post.
    pub consent_answer: Option<bool>,
    /// Whether the person already consented to these scopes for this client.
    pub consent_known: bool,
    /// Now.
    pub now: Millis,
}

/// What to do with an authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send the person to sign in; with `demand_reauth`, record a demand
    /// for a fresh sign-in first (`prompt=login`).
    SignIn {
        /// record a server-side demand for a fresh sign-in
        demand_reauth: bool,
    },
    /// Answer the client with this OAuth error code.
    Refuse(&'static str),
    /// Ask the person to reach a higher real-name level.
    StepUp {
        /// the level the client needs
        needed: i64,
    },
    /// Show the consent screen.
    AskConsent,
    /// Issue a code; with `record_consent`, record the consent just given.
    Issue {
        /// the person consented on this request
        record_consent: bool,
    },
}

/// Decides an authorization request.
pub fn decide(i: &AuthorizeInput<'_>) -> Decision {
    let has = |p: &str| i.prompt.iter().any(|x| x == p);
    let fresh = i.session_started.is_some_and(|started| {
        let max_age_ok = i.max_age.is_none_or(|m| started + m * 1000 >= i.now);
        let login_ok = !has("login") || i.reauth_since.is_some_and(|a| started >= a);
        max_age_ok && login_ok
    });
    if !fresh {
        return if has("none") {
            Decision::Refuse("login_required")
        } else {
            Decision::SignIn {
                demand_reauth: has("login"),
            }
        };
    }
    if let Some(needed) = i.needed_level.filter(|n| *n > i.level) {
        return if has("none") {
            Decision::Refuse("interaction_required")
        } else {
            Decision::StepUp { needed }
        };
    }
    if !i.require_consent {
        return Decision::Issue {
            record_consent: false,
        };
    }
    match i.consent_answer {
        Some(false) => Decision::Refuse("access_denied"),
        Some(true) => Decision::Issue {
            record_consent: true,
        },
        None if i.consent_known && !has("consent") => Decision::Issue {
            record_consent: false,
        },
        None if has("none") => Decision::Refuse("consent_required"),
        None => Decision::AskConsent,
    }
}

/// The real-name level `acr_values` asks for: the lowest level whose `acr`
/// is named (levels are 1-based, in the order configured); values this
/// platform does not know are ignored.
pub fn needed_level(acr_values: Option<&str>, level_acrs: &[&str]) -> Option<i64> {
    acr_values?
        .split(' ')
        .filter_map(|a| level_acrs.iter().position(|l| *l == a))
        .min()
        .map(|i| i as i64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_000_000_000;

    fn signed_in(prompt: &[String]) -> AuthorizeInput<'_> {
        AuthorizeInput {
            prompt,
            session_started: Some(NOW - 60_000),
            level: 2,
            now: NOW,
            ..AuthorizeInput::default()
        }
    }

    fn p(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn nobody_signed_in_is_sent_to_sign_in_or_refused_without_interaction() {
        let none = p(&["none"]);
        let i = AuthorizeInput {
            prompt: &none,
            now: NOW,
            ..AuthorizeInput::default()
        };
        assert_eq!(decide(&i), Decision::Refuse("login_required"));
        let i = AuthorizeInput {
            now: NOW,
            ..AuthorizeInput::default()
        };
        assert_eq!(
            decide(&i),
            Decision::SignIn {
                demand_reauth: false
            }
        );
    }

    #[test]
    fn prompt_login_needs_a_sign_in_after_the_demand() {
        let login = p(&["login"]);
        let mut i = signed_in(&login);
        assert_eq!(
            decide(&i),
            Decision::SignIn {
                demand_reauth: true
            }
        );
        // A demand made after the session began: still not fresh.
        i.reauth_since = Some(NOW - 1_000);
        assert_eq!(
            decide(&i),
            Decision::SignIn {
                demand_reauth: true
            }
        );
        // A session begun after the demand: fresh.
        i.reauth_since = Some(NOW - 120_000);
        assert_eq!(
            decide(&i),
            Decision::Issue {
                record_consent: false
            }
        );
    }

    #[test]
    fn max_age_counts_from_the_start_of_the_session() {
        let none: Vec<String> = vec![];
        let mut i = signed_in(&none);
        i.max_age = Some(30);
        assert_eq!(
            decide(&i),
            Decision::SignIn {
                demand_reauth: false
            }
        );
        i.max_age = Some(60);
        assert!(matches!(decide(&i), Decision::Issue { .. }));
    }

    #[test]
    fn a_level_too_low_asks_for_more_or_is_refused_without_interaction() {
        let empty: Vec<String> = vec![];
        let mut i = signed_in(&empty);
        i.needed_level = Some(3);
        assert_eq!(decide(&i), Decision::StepUp { needed: 3 });
        let none = p(&["none"]);
        let mut i = signed_in(&none);
        i.needed_level = Some(3);
        assert_eq!(decide(&i), Decision::Refuse("interaction_required"));
        i.needed_level = Some(2);
        assert!(matches!(decide(&i), Decision::Issue { .. }));
    }

    #[test]
    fn consent_is_asked_once_and_a_refusal_is_told_to_the_client() {
        let empty: Vec<String> = vec![];
        let mut i = signed_in(&empty);
        i.require_consent = true;
        assert_eq!(decide(&i), Decision::AskConsent);
        i.consent_known = true;
        assert_eq!(
            decide(&i),
            Decision::Issue {
                record_consent: false
            }
        );
        let consent = p(&["consent"]);
        let mut again = signed_in(&consent);
        again.require_consent = true;
        again.consent_known = true;
        assert_eq!(decide(&again), Decision::AskConsent);
        i.consent_answer = Some(false);
        assert_eq!(decide(&i), Decision::Refuse("access_denied"));
        i.consent_answer = Some(true);
        assert_eq!(
            decide(&i),
            Decision::Issue {
                record_consent: true
            }
        );
        let none = p(&["none"]);
        let mut silent = signed_in(&none);
        silent.require_consent = true;
        assert_eq!(decide(&silent), Decision::Refuse("consent_required"));
    }

    #[test]
    fn acr_values_name_the_lowest_known_level() {
        let acrs = ["urn:l1", "urn:l2", "urn:l3", "urn:l4"];
        assert_eq!(needed_level(Some("urn:l3 urn:l4"), &acrs), Some(3));
        assert_eq!(needed_level(Some("urn:other urn:l2"), &acrs), Some(2));
        assert_eq!(needed_level(Some("urn:other"), &acrs), None);
        assert_eq!(needed_level(None, &acrs), None);
    }
}
