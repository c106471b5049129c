//! A scheduled test component (Spin cron trigger contract): every run adds one to the
//! counter `ticks` in the `default` store, so tests can see runs happen.

#[cfg(target_arch = "wasm32")]
mod guest {
    wit_bindgen::generate!({
        path: ["../../../wit/deps/keyvalue", "../../../wit/deps/spin-cron"],
        inline: "
            package lendwork:ticker;
            world ticker {
                import wasi:keyvalue/store@0.2.0-draft2;
                import wasi:keyvalue/atomics@0.2.0-draft2;
                include fermyon:spin-cron/spin-cron@2.0.0;
            }
        ",
        world: "lendwork:ticker/ticker",
        generate_all,
    });

    use wasi::keyvalue::{atomics, store};

    struct Ticker;

    impl Guest for Ticker {
        fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
            let bucket = store::open("default").map_err(|e| Error::Other(format!("{e:?}")))?;
            atomics::increment(&bucket, "ticks", 1).map_err(|e| Error::Other(format!("{e:?}")))?;
            Ok(())
        }
    }

    export!(Ticker);
}
