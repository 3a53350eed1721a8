"""The payment gateway (PSP): `HttpPaymentGateway` (domain.payments.PaymentGateway over HTTP/JSON)
and a stand-in PSP to run it against (`simulator`)."""
