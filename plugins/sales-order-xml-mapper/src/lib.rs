//! Maps Fabrikam's purchase-order XML onto `SalesOrderHeader` and `SalesOrderLine`: one
//! document, several orders, each a header plus its lines. An order with a bad line is left
//! out whole, with an error naming the order, line and field.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use wharf_plugin_sdk::{Batch, Context, Mapped, Mapper, PluginError, Row, RowError, ValueRef, host};

/// The plugin.
pub struct SalesOrderMapper;

impl Mapper for SalesOrderMapper {
    fn map(_ctx: &Context, input: &Batch) -> Result<Mapped, PluginError> {
        let account = host::config("customer_account");
        let mut mapped = Mapped::new();
        let headers = mapped.entity(
            "SalesOrderHeader",
            &[
                "SalesOrderNumber",
                "OrderingCustomerAccountNumber",
                "RequestedShippingDate",
                "CurrencyCode",
                "CustomerRequisitionNumber",
            ],
        );
        let lines = mapped.entity(
            "SalesOrderLine",
            &["SalesOrderNumber", "LineNumber", "ItemNumber", "OrderedSalesQuantity", "SalesPrice", "SalesUnitSymbol"],
        );
        for row in input.rows() {
            let orders = match parse_orders(&row) {
                Ok(orders) => orders,
                Err(error) => {
                    mapped.reject(error);
                    continue;
                }
            };
            for order in orders {
                let order = match order {
                    Ok(order) => order,
                    Err(error) => {
                        mapped.reject(error);
                        continue;
                    }
                };
                let customer = account.as_deref().unwrap_or(&order.buyer);
                mapped.push(
                    headers,
                    &row,
                    &[
                        order.number.as_str().into(),
                        customer.into(),
                        ValueRef::Date(&order.delivery_date),
                        order.currency.as_str().into(),
                        order.partner_number.as_str().into(),
                    ],
                );
                for line in &order.lines {
                    mapped.push(
                        lines,
                        &row,
                        &[
                            order.number.as_str().into(),
                            ValueRef::Integer(line.number),
                            line.item.as_str().into(),
                            ValueRef::Decimal(&line.quantity),
                            ValueRef::Decimal(&line.price),
                            line.unit.as_str().into(),
                        ],
                    );
                }
            }
        }
        Ok(mapped)
    }
}

wharf_plugin_sdk::export_mapper!(SalesOrderMapper);

struct Order {
    number: String,
    partner_number: String,
    buyer: String,
    delivery_date: String,
    currency: String,
    lines: Vec<Line>,
}

struct Line {
    number: i64,
    item: String,
    quantity: String,
    price: String,
    unit: String,
}

/// Every `<Order>` of the document in `row`; an order that cannot be mapped is an error of
/// its own, the document as a whole only when it is not XML.
fn parse_orders(row: &Row<'_>) -> Result<Vec<Result<Order, RowError>>, RowError> {
    let xml = row.str("content")?;
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut orders = Vec::new();
    let mut current: Option<Result<Order, RowError>> = None;
    loop {
        let event = reader.read_event().map_err(|error| {
            row.error("content", format!("not well-formed XML at byte {}: {error}", reader.error_position()))
        })?;
        match event {
            Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"Order" => {
                current = Some(order(row, &element));
            }
            Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"Line" => {
                let Some(Ok(order)) = current.as_mut() else { continue };
                match line(row, order, &element) {
                    Ok(line) => order.lines.push(line),
                    Err(error) => current = Some(Err(error)),
                }
            }
            Event::End(element) if element.name().as_ref() == b"Order" => orders.extend(current.take()),
            Event::Eof => break,
            _ => {}
        }
    }
    if orders.is_empty() {
        return Err(row.error("content", "the document holds no <Order>"));
    }
    Ok(orders)
}

fn attribute(row: &Row<'_>, element: &BytesStart<'_>, name: &str, place: &str) -> Result<String, RowError> {
    let value = element
        .try_get_attribute(name)
        .map_err(|error| row.error(place, format!("bad attribute: {error}")))?
        .ok_or_else(|| row.error(place, format!("attribute {name} is missing")))?;
    let text = value.unescape_value().map_err(|error| row.error(place, format!("{name}: {error}")))?;
    Ok(text.trim().to_owned())
}

fn order(row: &Row<'_>, element: &BytesStart<'_>) -> Result<Order, RowError> {
    let number = attribute(row, element, "number", "Order")?;
    let place = format!("Order {number}");
    let date = attribute(row, element, "deliveryDate", &place)?;
    // Fabrikam writes dates as DD.MM.YYYY; the entity wants ISO 8601.
    let delivery_date = match date.split('.').collect::<Vec<_>>()[..] {
        [day, month, year]
            if day.len() == 2
                && month.len() == 2
                && year.len() == 4
                && date.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
        {
            format!("{year}-{month}-{day}")
        }
        _ => return Err(row.error(&format!("{place}/deliveryDate"), format!("'{date}' is not a DD.MM.YYYY date"))),
    };
    Ok(Order {
        partner_number: number.clone(),
        number: format!("FAB-{number}"),
        buyer: attribute(row, element, "buyer", &place)?,
        delivery_date,
        currency: attribute(row, element, "currency", &place)?.to_ascii_uppercase(),
        lines: Vec::new(),
    })
}

fn line(row: &Row<'_>, order: &Order, element: &BytesStart<'_>) -> Result<Line, RowError> {
    let place = format!("Order {}/Line", order.partner_number);
    let number_text = attribute(row, element, "no", &place)?;
    let place = format!("{place} {number_text}");
    let number =
        number_text.parse().map_err(|_| row.error(&place, format!("line number '{number_text}' is not a number")))?;
    let decimal = |name: &str| -> Result<String, RowError> {
        let text = attribute(row, element, name, &place)?.replace(',', ".");
        if text.parse::<f64>().is_ok_and(f64::is_finite) {
            Ok(text)
        } else {
            Err(row.error(&format!("{place}/{name}"), format!("'{text}' is not a number")))
        }
    };
    Ok(Line {
        number,
        item: attribute(row, element, "sku", &place)?,
        quantity: decimal("qty")?,
        price: decimal("price")?,
        unit: attribute(row, element, "unit", &place).unwrap_or_else(|_| "ea".into()),
    })
}
