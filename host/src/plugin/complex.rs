//! The declared types of action parameters and results: a primitive, any JSON object or array,
//! or an object (or array of objects) whose members a manifest declares, and the check of a
//! JSON value against such a type.
//!
//! A declared object is what OData calls a complex type and D365 a data contract: `$metadata`
//! declares it, typed clients generate a class from it, and so a value the plugin returns must
//! have exactly its members. The check reads the value as it streams, so a large result is
//! checked without being expanded into a tree.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::manifest::ParamType;

/// What a parameter, result or member must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueType {
    /// Its JSON kind and primitive type.
    pub param_type: ParamType,
    /// For an `object`, its members; for an `array`, its items' members. `None` for primitives
    /// and for objects and arrays of any JSON.
    pub complex: Option<Arc<ComplexType>>,
}

/// An object type with declared members, named for `$metadata` and discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplexType {
    /// Unique among the types of the deployment's `$metadata`: an identifier.
    pub name: String,
    /// Its members, in declaration order.
    pub members: Vec<Member>,
}

/// One member of a complex type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The JSON member's name, an identifier.
    pub name: String,
    /// What its value must be.
    pub value_type: ValueType,
    /// Whether it may be `null` or left out; otherwise it is always there with a value.
    pub nullable: bool,
}

impl ValueType {
    /// A type without declared members.
    pub fn plain(param_type: ParamType) -> ValueType {
        ValueType { param_type, complex: None }
    }

    /// Every complex type this one names, itself and its members' in turn, outermost first.
    pub fn complex_types(&self) -> Vec<Arc<ComplexType>> {
        let mut found = Vec::new();
        let mut pending: Vec<&Arc<ComplexType>> = self.complex.iter().collect();
        while let Some(complex) = pending.pop() {
            found.push(complex.clone());
            pending.extend(complex.members.iter().rev().filter_map(|member| member.value_type.complex.as_ref()));
        }
        found
    }

    /// Whether the JSON text `json` is a value of this type, or what is wrong with it.
    pub fn check_text(&self, json: &str) -> Result<(), String> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        Checker { value_type: self, nullable: false }
            .deserialize(&mut deserializer)
            .map_err(|error| error.to_string())?;
        deserializer.end().map_err(|error| error.to_string())
    }

    /// Whether `value` is a value of this type, or what is wrong with it.
    pub fn check(&self, value: &serde_json::Value) -> Result<(), String> {
        Checker { value_type: self, nullable: false }.deserialize(value).map_err(|error| error.to_string())
    }
}

impl fmt::Display for ValueType {
    /// The type for sentences: "an integer", "a BomApproval object", "an array of Warehouse".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.complex, self.param_type) {
            (Some(complex), ParamType::Array) => write!(f, "an array of {} objects", complex.name),
            (Some(complex), _) => write!(f, "a {} object", complex.name),
            (None, param_type) => {
                let name = param_type.name();
                let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                write!(f, "{article} {name}")
            }
        }
    }
}

/// Checks one value as it is read: a [`Visitor`] that builds nothing.
#[derive(Clone, Copy)]
struct Checker<'t> {
    value_type: &'t ValueType,
    /// Whether `null` is allowed here.
    nullable: bool,
}

impl<'de> DeserializeSeed<'de> for Checker<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Checker<'_> {
    fn refuse<E: de::Error>(self, got: &str) -> Result<(), E> {
        Err(E::custom(format!("expected {}, got {got}", self.value_type)))
    }

    /// Whether text `text` has the form the type's OData primitive requires.
    fn text<E: de::Error>(self, text: &str) -> Result<(), E> {
        let fits = match self.value_type.param_type {
            ParamType::String => true,
            ParamType::Date => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
            ParamType::Datetime => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            ParamType::Guid => uuid::Uuid::try_parse(text).is_ok(),
            // A decimal may come as text (OData's IEEE754Compatible form) when it has more
            // digits than a double keeps.
            ParamType::Decimal => is_decimal_text(text),
            _ => return self.refuse("a string"),
        };
        if fits { Ok(()) } else { Err(E::custom(format!("expected {}, got {text:?}", self.value_type))) }
    }
}

/// `-12.50`: an optional minus, digits, optionally a point and more digits.
fn is_decimal_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|byte| byte.is_ascii_digit())
        && fraction.bytes().all(|byte| byte.is_ascii_digit())
}

impl<'de> Visitor<'de> for Checker<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value_type)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.nullable { Ok(()) } else { self.refuse("null") }
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        match self.value_type.param_type {
            ParamType::Boolean => Ok(()),
            _ => self.refuse("a boolean"),
        }
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        match self.value_type.param_type {
            ParamType::Integer | ParamType::Decimal => Ok(()),
            _ => self.refuse("a whole number"),
        }
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<(), E> {
        match self.value_type.param_type {
            ParamType::Integer if i64::try_from(number).is_ok() => Ok(()),
            ParamType::Integer => self.refuse("a whole number beyond Edm.Int64"),
            ParamType::Decimal => Ok(()),
            _ => self.refuse("a whole number"),
        }
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        match self.value_type.param_type {
            ParamType::Decimal => Ok(()),
            _ => self.refuse("a number with a fraction"),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        self.text(text)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        if self.value_type.param_type != ParamType::Array {
            return self.refuse("an array");
        }
        match &self.value_type.complex {
            Some(complex) => {
                let item = ValueType { param_type: ParamType::Object, complex: Some(complex.clone()) };
                while items.next_element_seed(Checker { value_type: &item, nullable: false })?.is_some() {}
            }
            None => while items.next_element::<IgnoredAny>()?.is_some() {},
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<(), A::Error> {
        if self.value_type.param_type != ParamType::Object {
            return self.refuse("an object");
        }
        let Some(complex) = &self.value_type.complex else {
            while members.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        let mut seen = vec![false; complex.members.len()];
        while let Some(name) = members.next_key::<String>()? {
            let Some(index) = complex.members.iter().position(|member| member.name == name) else {
                let declared: Vec<&str> = complex.members.iter().map(|member| member.name.as_str()).collect();
                return Err(de::Error::custom(format!(
                    "{} has no member {name}; its members: {}",
                    complex.name,
                    declared.join(", ")
                )));
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(de::Error::custom(format!("member {name} of {} comes twice", complex.name)));
            }
            let member = &complex.members[index];
            members
                .next_value_seed(Checker { value_type: &member.value_type, nullable: member.nullable })
                .map_err(|error| de::Error::custom(format!("member {name} of {}: {error}", complex.name)))?;
        }
        let missing = complex.members.iter().zip(&seen).find(|(member, seen)| !member.nullable && !**seen);
        if let Some((member, _)) = missing {
            return Err(de::Error::custom(format!(
                "{} lacks member {}, {}",
                complex.name, member.name, member.value_type
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn member(name: &str, param_type: ParamType) -> Member {
        Member { name: name.into(), value_type: ValueType::plain(param_type), nullable: false }
    }

    fn approval() -> ValueType {
        let line = ComplexType {
            name: "ApprovedLine".into(),
            members: vec![
                member("lineNumber", ParamType::Integer),
                Member { nullable: true, ..member("note", ParamType::String) },
            ],
        };
        let members = vec![
            member("bomId", ParamType::String),
            member("approvedOn", ParamType::Date),
            member("quantity", ParamType::Decimal),
            Member {
                name: "lines".into(),
                value_type: ValueType { param_type: ParamType::Array, complex: Some(Arc::new(line)) },
                nullable: false,
            },
        ];
        let complex = ComplexType { name: "BomApproval".into(), members };
        ValueType { param_type: ParamType::Object, complex: Some(Arc::new(complex)) }
    }

    #[test]
    fn a_value_with_the_declared_members_passes_as_text_and_as_a_tree() {
        let value = json!({
            "bomId": "B-1", "approvedOn": "2026-11-21", "quantity": "12.50",
            "lines": [{ "lineNumber": 1, "note": null }, { "lineNumber": 2 }]
        });
        assert_eq!(approval().check(&value), Ok(()));
        assert_eq!(approval().check_text(&value.to_string()), Ok(()));
        let names: Vec<String> = approval().complex_types().iter().map(|complex| complex.name.clone()).collect();
        assert_eq!(names, ["BomApproval", "ApprovedLine"]);
    }

    #[test]
    fn missing_unknown_and_wrongly_typed_members_are_named() {
        let valid = json!({ "bomId": "B-1", "approvedOn": "2026-11-21", "quantity": 1.5, "lines": [] });
        let with = |name: &str, value: serde_json::Value| {
            let mut changed = valid.clone();
            changed[name] = value;
            changed
        };
        let mut missing = valid.clone();
        missing.as_object_mut().expect("an object").remove("bomId");
        for (value, expected) in [
            (missing, "BomApproval lacks member bomId, a string"),
            (
                with("extra", json!(1)),
                "BomApproval has no member extra; its members: bomId, approvedOn, quantity, lines",
            ),
            (with("bomId", json!(7)), "member bomId of BomApproval: expected a string, got a whole number"),
            (with("approvedOn", json!("21.11.2026")), "expected a date, got \"21.11.2026\""),
            (with("quantity", json!("12,5")), "expected a decimal, got \"12,5\""),
            (with("bomId", json!(null)), "expected a string, got null"),
            (with("lines", json!([{ "lineNumber": "1" }])), "member lineNumber of ApprovedLine: expected an integer"),
            (with("lines", json!({})), "expected an array of ApprovedLine objects, got an object"),
            (json!([valid.clone()]), "expected a BomApproval object, got an array"),
        ] {
            let error = approval().check(&value).expect_err(expected);
            assert!(error.contains(expected), "{value}: {error}");
            let error = approval().check_text(&value.to_string()).expect_err(expected);
            assert!(error.contains(expected), "{value}: {error}");
        }
        let twice = r#"{"bomId":"B-1","bomId":"B-2","approvedOn":"2026-11-21","quantity":1,"lines":[]}"#;
        assert!(approval().check_text(twice).expect_err("twice").contains("member bomId of BomApproval comes twice"));
    }
}
