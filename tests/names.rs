//! Cross-module agreement that no one module may check on its own (i18n
//! does not depend on rules, nor rules on i18n): every rule has its name in
//! both translation tables, and the Chinese one matches the rule's own.

use liyi::i18n::Lang;
use liyi::rules::RuleCode;

#[test]
fn every_rule_has_a_name_in_both_languages() {
    for r in RuleCode::ALL {
        let key = format!("rule.{}", r.as_str());
        assert_eq!(Lang::Zh.t(&key), r.zh());
        assert_ne!(Lang::En.t(&key), key, "{key} has no English name");
    }
}
