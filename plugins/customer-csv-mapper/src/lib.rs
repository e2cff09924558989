//! Maps Northwind's customer CSV onto the `Customer` entity: renames its columns, trims and
//! upper-cases codes, converts country names and both decimal conventions, and computes the
//! customer group.

use wharf_plugin_sdk::{Batch, Context, Mapped, Mapper, PluginError, Row, RowError, ValueRef, host};

/// The `Customer` fields this mapper fills, in order.
pub const CUSTOMER_FIELDS: [&str; 9] = [
    "CustomerAccount",
    "OrganizationName",
    "AddressStreet",
    "AddressZipCode",
    "AddressCity",
    "AddressCountryRegionId",
    "PrimaryContactPhone",
    "CreditLimit",
    "CustomerGroupId",
];

/// The plugin.
pub struct CustomerMapper;

/// Settings from the manifest, read once per batch.
pub struct Settings {
    /// Customers in this country (ISO 3166 alpha-3) are domestic.
    pub home_country: String,
    /// Put before every account number.
    pub account_prefix: String,
}

impl Settings {
    /// The settings in this plugin's manifest.
    pub fn from_host() -> Settings {
        Settings {
            home_country: host::config("home_country").unwrap_or_else(|| "USA".into()),
            account_prefix: host::config("account_prefix").unwrap_or_default(),
        }
    }
}

impl Mapper for CustomerMapper {
    fn map(_ctx: &Context, input: &Batch) -> Result<Mapped, PluginError> {
        Ok(map_batch(&Settings::from_host(), input))
    }
}

#[cfg(feature = "export")]
wharf_plugin_sdk::export_mapper!(CustomerMapper);

/// The mapping itself, apart from where its settings come from (so it runs natively too).
pub fn map_batch(settings: &Settings, input: &Batch) -> Mapped {
    let mut mapped = Mapped::new();
    let customers = mapped.entity("Customer", &CUSTOMER_FIELDS);
    let mut account = String::new();
    for row in input.rows() {
        match map_customer(settings, &row, &mut account) {
            Ok(customer) => mapped.push(customers, &row, &customer.values(&account)),
            Err(error) => mapped.reject(error),
        }
    }
    mapped
}

/// Where a customer's source fields come from: a batch [`Row`] here; the benchmarks read
/// other encodings through it too, so every encoding runs the same mapping.
pub trait Source<'a> {
    /// The text of field `name`; null reads as `""`.
    fn text(&self, name: &str) -> Result<&'a str, RowError>;
    /// An error about `field` of this source row.
    fn error(&self, field: &str, message: String) -> RowError;
}

impl<'a> Source<'a> for Row<'a> {
    fn text(&self, name: &str) -> Result<&'a str, RowError> {
        self.str(name)
    }

    fn error(&self, field: &str, message: String) -> RowError {
        Row::error(self, field, message)
    }
}

/// One mapped customer, borrowing from its source row.
pub struct Customer<'a> {
    name: &'a str,
    street: &'a str,
    zip: &'a str,
    city: &'a str,
    country: &'static str,
    phone: String,
    credit_limit: String,
    group: &'static str,
}

impl Customer<'_> {
    /// The values of [`CUSTOMER_FIELDS`], in order, given the account number.
    pub fn values<'v>(&'v self, account: &'v str) -> [ValueRef<'v>; 9] {
        [
            account.into(),
            self.name.into(),
            self.street.into(),
            self.zip.into(),
            self.city.into(),
            self.country.into(),
            self.phone.as_str().into(),
            ValueRef::Decimal(&self.credit_limit),
            self.group.into(),
        ]
    }
}

/// Maps one source row; the account number is written to `account` (reused across rows).
pub fn map_customer<'a>(
    settings: &Settings,
    source: &impl Source<'a>,
    account: &mut String,
) -> Result<Customer<'a>, RowError> {
    let required = |name: &str| {
        let text = source.text(name)?.trim();
        if text.is_empty() { Err(source.error(name, "a value is required".into())) } else { Ok(text) }
    };
    account.clear();
    account.push_str(&settings.account_prefix);
    account.extend(required("cust_no")?.chars().map(|c| c.to_ascii_uppercase()));
    let country_text = required("country")?;
    let country = country_code(country_text)
        .ok_or_else(|| source.error("country", format!("unknown country '{country_text}'")))?;
    let credit_text = source.text("credit_limit")?.trim();
    let credit_limit = if credit_text.is_empty() {
        "0".to_owned()
    } else {
        decimal(credit_text).ok_or_else(|| source.error("credit_limit", format!("'{credit_text}' is not an amount")))?
    };
    Ok(Customer {
        name: required("company_name")?,
        street: source.text("street")?.trim(),
        zip: source.text("postcode")?.trim(),
        city: source.text("city")?.trim(),
        country,
        phone: source.text("phone")?.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect(),
        credit_limit,
        group: if country == settings.home_country { "DOM" } else { "INTL" },
    })
}

/// Northwind writes countries as names, ISO alpha-2 or alpha-3 codes; the entity wants
/// alpha-3.
fn country_code(text: &str) -> Option<&'static str> {
    const COUNTRIES: [(&str, &[&str]); 8] = [
        ("USA", &["US", "UNITED STATES", "UNITED STATES OF AMERICA"]),
        ("DEU", &["DE", "GERMANY", "DEUTSCHLAND"]),
        ("GBR", &["GB", "UK", "UNITED KINGDOM"]),
        ("FRA", &["FR", "FRANCE"]),
        ("NLD", &["NL", "NETHERLANDS"]),
        ("CAN", &["CA", "CANADA"]),
        ("MEX", &["MX", "MEXICO"]),
        ("DNK", &["DK", "DENMARK"]),
    ];
    COUNTRIES.iter().find_map(|(code, names)| {
        let known = code.eq_ignore_ascii_case(text) || names.iter().any(|name| name.eq_ignore_ascii_case(text));
        known.then_some(*code)
    })
}

/// Reads `1,234.50`, `1.234,50`, `1234.5` or `-20`: whichever of `.` and `,` comes last is
/// the decimal separator, unless it occurs more than once (`1.234.567`); the other groups
/// thousands.
fn decimal(text: &str) -> Option<String> {
    let separator = text
        .rfind(['.', ','])
        .map(|at| char::from(text.as_bytes()[at]))
        .filter(|&separator| text.matches(separator).count() == 1);
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        match c {
            '0'..='9' => out.push(c),
            '-' if at == 0 => out.push(c),
            '.' | ',' if Some(c) == separator => out.push('.'),
            '.' | ',' => {}
            _ => return None,
        }
    }
    out.bytes().any(|b| b.is_ascii_digit()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn both_decimal_conventions_read_the_same() {
        assert_eq!(decimal("1,234.50").as_deref(), Some("1234.50"));
        assert_eq!(decimal("1.234,50").as_deref(), Some("1234.50"));
        assert_eq!(decimal("1.234.567").as_deref(), Some("1234567"));
        assert_eq!(decimal("1234.5").as_deref(), Some("1234.5"));
        assert_eq!(decimal("250,75").as_deref(), Some("250.75"));
        assert_eq!(decimal("-20").as_deref(), Some("-20"));
        assert_eq!(decimal("12a"), None);
        assert_eq!(decimal("-"), None);
    }
}
