//! A mapper exporting `wharf:plugin/mapper@0.2.0`, a contract version the host does not speak,
//! so the tests can check the host refuses it with a message that says so.

wit_bindgen::generate!({
    inline: "
        package wharf:plugin@0.2.0;
        interface mapper {
            %map: func(input: list<u8>) -> list<u8>;
        }
        world next-version {
            export mapper;
        }
    ",
});

struct Future;

impl exports::wharf::plugin::mapper::Guest for Future {
    fn map(input: Vec<u8>) -> Vec<u8> {
        input
    }
}

export!(Future);
