//! Reshapes Fabrikam's `<Orders><Order><Line/></Order></Orders>` into the data-entity XML
//! form, `<Document><SALESORDERHEADERV2ENTITY …/><SALESORDERLINEV2ENTITY …/></Document>`:
//! every record one element, every field an upper-case attribute, lines carrying their order's
//! number.

use std::io::Cursor;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
use quick_xml::{Reader, Writer};
use wharf_plugin_sdk::{Context, Document, PluginError, Transform};

/// The plugin.
pub struct OrderTransform;

/// Partner attribute → entity field, for orders and for lines.
const ORDER_FIELDS: [(&str, &str); 4] = [
    ("number", "SALESORDERNUMBER"),
    ("buyer", "ORDERINGCUSTOMERACCOUNTNUMBER"),
    ("currency", "CURRENCYCODE"),
    ("deliveryDate", "REQUESTEDSHIPPINGDATE"),
];
const LINE_FIELDS: [(&str, &str); 5] = [
    ("no", "LINENUMBER"),
    ("sku", "ITEMNUMBER"),
    ("qty", "ORDEREDSALESQUANTITY"),
    ("price", "SALESPRICE"),
    ("unit", "SALESUNITSYMBOL"),
];

impl Transform for OrderTransform {
    fn transform(_ctx: &Context, input: Document) -> Result<Document, PluginError> {
        let xml = std::str::from_utf8(&input.content).map_err(|_| PluginError::new("the document is not UTF-8"))?;
        let mut reader = Reader::from_str(xml);
        reader.config_mut().trim_text(true);
        let mut writer = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
        let write = |writer: &mut Writer<Cursor<Vec<u8>>>, event: Event<'_>| {
            writer.write_event(event).map_err(|error| PluginError::new(format!("cannot write XML: {error}")))
        };
        write(&mut writer, Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        write(&mut writer, Event::Start(BytesStart::new("Document")))?;
        let mut order_number = None;
        let mut records = 0;
        loop {
            let event = reader.read_event().map_err(|error| {
                PluginError::new(format!("not well-formed XML at byte {}: {error}", reader.error_position()))
            })?;
            match event {
                Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"Order" => {
                    let record = reshape(&element, "SALESORDERHEADERV2ENTITY", &ORDER_FIELDS, None)?;
                    order_number = attribute(&element, "number")?;
                    write(&mut writer, Event::Empty(record))?;
                    records += 1;
                }
                Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"Line" => {
                    let number =
                        order_number.as_deref().ok_or_else(|| PluginError::new("a <Line> outside any <Order>"))?;
                    let record = reshape(&element, "SALESORDERLINEV2ENTITY", &LINE_FIELDS, Some(number))?;
                    write(&mut writer, Event::Empty(record))?;
                    records += 1;
                }
                Event::End(element) if element.name().as_ref() == b"Order" => order_number = None,
                Event::Eof => break,
                _ => {}
            }
        }
        if records == 0 {
            return Err(PluginError::new("the document holds no <Order>"));
        }
        write(&mut writer, Event::End(BytesEnd::new("Document")))?;
        Ok(Document { format: "xml".into(), name: input.name, content: writer.into_inner().into_inner() })
    }
}

wharf_plugin_sdk::export_transform!(OrderTransform);

fn attribute(element: &BytesStart<'_>, name: &str) -> Result<Option<String>, PluginError> {
    let Some(attribute) =
        element.try_get_attribute(name).map_err(|error| PluginError::new(format!("bad attribute: {error}")))?
    else {
        return Ok(None);
    };
    let value = attribute.unescape_value().map_err(|error| PluginError::new(format!("{name}: {error}")))?;
    Ok(Some(value.trim().to_owned()))
}

fn reshape<'a>(
    element: &BytesStart<'_>,
    entity: &'a str,
    fields: &[(&str, &str)],
    order_number: Option<&str>,
) -> Result<BytesStart<'a>, PluginError> {
    let mut record = BytesStart::new(entity);
    if let Some(number) = order_number {
        record.push_attribute(("SALESORDERNUMBER", number));
    }
    for (from, to) in fields {
        if let Some(value) = attribute(element, from)? {
            record.push_attribute((*to, value.as_str()));
        }
    }
    Ok(record)
}
