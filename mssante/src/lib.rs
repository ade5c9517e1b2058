//! MSSanté secure messaging client: composing and reading messages with X-MSS headers and
//! IHE_XDM attachments, SMTP submission and IMAP over TLS, acknowledgements.
