//! Link builders (`https://t.me/<bot>?start=`, `tg://resolve`, `startgroup`) and validation of bot usernames and payloads.
