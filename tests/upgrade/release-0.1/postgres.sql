--
-- PostgreSQL database dump
--

\restrict IR5b5K3hYnmIEmhegpKQUoG5WV6V0ZuDjOGbmyQYQhTnR4GqMdiysqIFjTbXEqV

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: accounts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.accounts (
    id bigint NOT NULL,
    client_id text NOT NULL,
    currency text NOT NULL,
    kind text NOT NULL,
    ref text NOT NULL,
    debits_posted bigint NOT NULL,
    credits_posted bigint NOT NULL,
    debits_pending bigint NOT NULL,
    credits_pending bigint NOT NULL,
    created_at bigint NOT NULL
);


--
-- Name: clients; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.clients (
    id text NOT NULL,
    name text NOT NULL,
    api_key_salt text NOT NULL,
    api_key_hash text NOT NULL,
    profile text NOT NULL,
    created_at bigint NOT NULL
);


--
-- Name: documents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.documents (
    kind text NOT NULL,
    id text NOT NULL,
    client_id text NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    seq bigint NOT NULL
);


--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    id bigint NOT NULL,
    client_id text NOT NULL,
    event_type text NOT NULL,
    resource_id text NOT NULL,
    date bigint NOT NULL
);


--
-- Name: idempotency_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.idempotency_keys (
    client_id text NOT NULL,
    idem_key text NOT NULL,
    request_hash text NOT NULL,
    status_code bigint NOT NULL,
    content_type text NOT NULL,
    body text NOT NULL,
    request_url text NOT NULL,
    resource_id text NOT NULL,
    created_at bigint NOT NULL
);


--
-- Name: intent_action_lines; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.intent_action_lines (
    action_id text NOT NULL,
    "position" bigint NOT NULL,
    line_item_id text NOT NULL,
    amount bigint NOT NULL,
    fee_removed bigint NOT NULL
);


--
-- Name: intent_actions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.intent_actions (
    id text NOT NULL,
    intent_id text NOT NULL,
    "position" bigint NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    amount bigint NOT NULL,
    created_at bigint NOT NULL,
    ext_present bigint NOT NULL,
    ext_processing_date bigint NOT NULL,
    ext_provider_reference text NOT NULL,
    ext_merchant_reference text NOT NULL,
    ext_provider_name text NOT NULL,
    ext_payment_method text NOT NULL
);


--
-- Name: intent_line_items; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.intent_line_items (
    id text NOT NULL,
    intent_id text NOT NULL,
    "position" bigint NOT NULL,
    sku text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    category text NOT NULL,
    quantity bigint NOT NULL,
    unit_amount bigint NOT NULL,
    tax_amount bigint NOT NULL,
    discount_amount bigint NOT NULL,
    seller_author_id text NOT NULL,
    seller_wallet_id text NOT NULL,
    seller_transfer_date bigint,
    shipping_address text NOT NULL,
    total bigint NOT NULL,
    fee_initial bigint NOT NULL,
    fee bigint NOT NULL,
    captured bigint NOT NULL,
    cancelled bigint NOT NULL,
    refunded bigint NOT NULL,
    disputed bigint NOT NULL,
    split bigint NOT NULL
);


--
-- Name: intents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.intents (
    id text NOT NULL,
    client_id text NOT NULL,
    currency text NOT NULL,
    status text NOT NULL,
    amount bigint NOT NULL,
    platform_fees bigint NOT NULL,
    unfunded_amount bigint NOT NULL,
    buyer_id text NOT NULL,
    ext_processing_date bigint NOT NULL,
    ext_provider_reference text NOT NULL,
    ext_merchant_reference text NOT NULL,
    ext_provider_name text NOT NULL,
    ext_payment_method text NOT NULL,
    created_at bigint NOT NULL,
    execution_date bigint NOT NULL
);


--
-- Name: journal_transactions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.journal_transactions (
    id bigint NOT NULL,
    client_id text NOT NULL,
    kind text NOT NULL,
    ref text NOT NULL,
    created_at bigint NOT NULL
);


--
-- Name: oauth_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oauth_tokens (
    token_hash text NOT NULL,
    client_id text NOT NULL,
    expires_at bigint NOT NULL
);


--
-- Name: postings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.postings (
    tx_id bigint NOT NULL,
    seq bigint NOT NULL,
    account_id bigint NOT NULL,
    side bigint NOT NULL,
    phase bigint NOT NULL,
    amount bigint NOT NULL,
    posted_balance_after bigint NOT NULL,
    pending_balance_after bigint NOT NULL
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version bigint NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Data for Name: accounts; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.accounts (id, client_id, currency, kind, ref, debits_posted, credits_posted, debits_pending, credits_pending, created_at) FROM stdin;
1	shop	EUR	client_fees		0	0	0	0	1796006082
2	shop	EUR	client_credit		0	0	0	0	1796006082
3	shop	EUR	wallet	wlt_m_01a22a4d-f772-788c-893b-45322005d2f1	0	0	0	0	1796006082
4	shop	EUR	wallet	wlt_m_01a22a4d-f777-759d-94ab-3268eae8e4b6	0	0	0	0	1796006082
5	shop	GBP	wallet	wlt_m_01a22a4d-f77b-7e08-a105-d1c1a6cab8a2	0	0	0	0	1796006082
6	shop	GBP	client_fees		0	0	0	0	1796006082
7	shop	GBP	client_credit		0	0	0	0	1796006082
10	shop	EUR	line_fee	int_li_01a22a4d-f786-7a82-9dd2-aa61a93864f2	0	100	0	0	1796006082
15	shop	EUR	line_cancelled	int_li_01a22a4d-f786-76a4-888d-c431f7dd4262	0	1000	0	0	1796006082
11	shop	EUR	line_payable	int_li_01a22a4d-f786-76a4-888d-c431f7dd4262	0	0	0	4000	1796006082
12	shop	EUR	line_fee	int_li_01a22a4d-f786-76a4-888d-c431f7dd4262	50	250	0	0	1796006082
8	shop	EUR	line_payable	int_li_01a22a4d-f786-7a82-9dd2-aa61a93864f2	0	400	0	600	1796006082
20	shop	EUR	line_cancelled	int_li_01a22a4d-f799-73a1-96dd-751ff54864ad	0	700	0	0	1796006082
21	shop	EUR	line_cancelled	int_li_01a22a4d-f79d-70c7-9c3e-9ae53de7432f	0	300	0	0	1796006082
16	shop	EUR	line_payable	int_li_01a22a4d-f799-73a1-96dd-751ff54864ad	0	0	0	0	1796006082
14	shop	EUR	cancel_memo		2000	0	0	0	1796006082
17	shop	EUR	line_fee	int_li_01a22a4d-f799-73a1-96dd-751ff54864ad	7	7	0	0	1796006082
9	shop	EUR	fee_memo		360	60	0	0	1796006082
18	shop	EUR	line_payable	int_li_01a22a4d-f79d-70c7-9c3e-9ae53de7432f	0	0	0	0	1796006082
19	shop	EUR	line_fee	int_li_01a22a4d-f79d-70c7-9c3e-9ae53de7432f	3	3	0	0	1796006082
13	shop	EUR	psp_receivable	STRIPE	400	0	4600	0	1796006082
22	shop	GBP	line_payable	int_li_01a22a4d-f7a4-7021-a43e-d9c0b73a69b2	0	0	0	5000	1796006082
23	shop	GBP	fee_memo		500	0	0	0	1796006082
24	shop	GBP	line_fee	int_li_01a22a4d-f7a4-7021-a43e-d9c0b73a69b2	0	500	0	0	1796006082
25	shop	GBP	psp_receivable	STRIPE	0	0	5000	0	1796006082
\.


--
-- Data for Name: clients; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.clients (id, name, api_key_salt, api_key_hash, profile, created_at) FROM stdin;
other	other	76cc7b3e5ae61182ba0bd50c29e70121	da9876ca30590196eafc39209bf68539a18d2c7a965a988cd71474f8e74d601b	{"ClientId":"other","Name":"other","RegisteredName":"other","Licensor":"splitledger","PrimaryThemeColour":null,"PrimaryButtonColour":null,"Logo":null,"TechEmails":[],"AdminEmails":[],"BillingEmails":[],"FraudEmails":[],"HeadquartersAddress":null,"HeadquartersPhoneNumber":null,"TaxNumber":null,"PlatformType":null,"PlatformDescription":null,"PlatformURL":null,"CompanyReference":null,"PlatformCategorization":null,"Website":null}	1796006082
shop	shop	ceb05575a3254b326f336d0caed33491	623ad4ac992276cde485897cd58664b7f372c8d1e663cccebbba245cf3db3687	{"ClientId":"shop","Name":"shop","RegisteredName":"shop","Licensor":"splitledger","PrimaryThemeColour":null,"PrimaryButtonColour":null,"Logo":null,"TechEmails":["tech@shop.example"],"AdminEmails":[],"BillingEmails":[],"FraudEmails":[],"HeadquartersAddress":{"AddressLine1":"1 rue de la Paix","City":"Paris","PostalCode":"75002","Country":"FR"},"HeadquartersPhoneNumber":null,"TaxNumber":null,"PlatformType":"MARKETPLACE","PlatformDescription":null,"PlatformURL":null,"CompanyReference":null,"PlatformCategorization":null,"Website":null}	1796006082
\.


--
-- Data for Name: documents; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.documents (kind, id, client_id, body, created_at, updated_at, seq) FROM stdin;
client_wallet	shop:FEES_EUR	shop	{"Id":"FEES_EUR","Currency":"EUR","FundsType":"FEES","Tag":null,"CreationDate":1796006082}	1796006082	1796006082	1
client_wallet	shop:CREDIT_EUR	shop	{"Id":"CREDIT_EUR","Currency":"EUR","FundsType":"CREDIT","Tag":null,"CreationDate":1796006082}	1796006082	1796006082	2
user	user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f	shop	{"Address":{"AddressLine1":"4101 Reservoir Rd NW","AddressLine2":"","City":"Washington","Region":"District of Columbia","PostalCode":"20007","Country":"US"},"FirstName":"John","LastName":"Doe","Birthday":188301600,"Nationality":"FR","CountryOfResidence":"FR","Occupation":"programmer","IncomeRange":3,"Capacity":"NORMAL","Tag":null,"Email":"john.doe@sample.org","UserCategory":"OWNER","TermsAndConditionsAccepted":true,"PhoneNumber":null,"PhoneNumberCountry":null,"Id":"user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f","CreationDate":1796006082,"PersonType":"NATURAL","KYCLevel":"LIGHT","UserStatus":"ACTIVE","ProofOfIdentity":null,"ProofOfAddress":null,"TermsAndConditionsAcceptedDate":1796006082}	1796006082	1796006082	3
user	user_m_01a22a4d-f76a-71ea-8334-9458bb14a6e9	shop	{"HeadquartersAddress":{"AddressLine1":"1 Main St","City":"Paris","PostalCode":"75001","Country":"FR"},"LegalPersonType":"BUSINESS","Name":"MatrixSampleOrg","LegalRepresentativeAddress":{"AddressLine1":"1 Main St","City":"Paris","PostalCode":"75001","Country":"FR"},"LegalRepresentativeBirthday":188301600,"LegalRepresentativeCountryOfResidence":"FR","LegalRepresentativeNationality":"FR","LegalRepresentativeEmail":"john@sample.org","LegalRepresentativeFirstName":"John","LegalRepresentativeLastName":"Doe","CompanyNumber":"123456789","Tag":"company","Email":"mail@test.com","UserCategory":"OWNER","TermsAndConditionsAccepted":true,"Id":"user_m_01a22a4d-f76a-71ea-8334-9458bb14a6e9","CreationDate":1796006082,"PersonType":"LEGAL","KYCLevel":"LIGHT","UserStatus":"ACTIVE","ProofOfIdentity":null,"Statute":null,"ProofOfRegistration":null,"ShareholderDeclaration":null,"TermsAndConditionsAcceptedDate":1796006082}	1796006082	1796006082	5
user	user_m_01a22a4d-f764-7740-b745-27017b04c419	shop	{"Address":null,"FirstName":"Pam","LastName":"Payer","Birthday":null,"Nationality":null,"CountryOfResidence":null,"Occupation":"baker","IncomeRange":"2","Capacity":"NORMAL","Tag":"buyer","Email":"pam@sample.org","UserCategory":"PAYER","TermsAndConditionsAccepted":true,"PhoneNumber":"+33100000000","PhoneNumberCountry":null,"Id":"user_m_01a22a4d-f764-7740-b745-27017b04c419","CreationDate":1796006082,"PersonType":"NATURAL","KYCLevel":"LIGHT","UserStatus":"ACTIVE","ProofOfIdentity":null,"ProofOfAddress":null,"TermsAndConditionsAcceptedDate":1796006082}	1796006082	1796006082	4
wallet	wlt_m_01a22a4d-f772-788c-893b-45322005d2f1	shop	{"Id":"wlt_m_01a22a4d-f772-788c-893b-45322005d2f1","Owners":["user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f"],"Description":"shop EUR","Currency":"EUR","FundsType":"DEFAULT","Tag":"t1","CreationDate":1796006082}	1796006082	1796006082	6
wallet	wlt_m_01a22a4d-f777-759d-94ab-3268eae8e4b6	shop	{"Id":"wlt_m_01a22a4d-f777-759d-94ab-3268eae8e4b6","Owners":["user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f"],"Description":"user_m_01a22a4d-f764-7740-b745-27017b04c419","Currency":"EUR","FundsType":"DEFAULT","Tag":null,"CreationDate":1796006082}	1796006082	1796006082	7
client_wallet	shop:FEES_GBP	shop	{"Id":"FEES_GBP","Currency":"GBP","FundsType":"FEES","Tag":null,"CreationDate":1796006082}	1796006082	1796006082	8
client_wallet	shop:CREDIT_GBP	shop	{"Id":"CREDIT_GBP","Currency":"GBP","FundsType":"CREDIT","Tag":null,"CreationDate":1796006082}	1796006082	1796006082	9
wallet	wlt_m_01a22a4d-f77b-7e08-a105-d1c1a6cab8a2	shop	{"Id":"wlt_m_01a22a4d-f77b-7e08-a105-d1c1a6cab8a2","Owners":["user_m_01a22a4d-f76a-71ea-8334-9458bb14a6e9"],"Description":"gbp","Currency":"GBP","FundsType":"DEFAULT","Tag":"renamed","CreationDate":1796006082}	1796006082	1796006082	10
\.


--
-- Data for Name: events; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events (id, client_id, event_type, resource_id, date) FROM stdin;
1	shop	INTENT_AUTHORIZED	int_01a22a4d-f786-79a7-965a-d8d978994b4e	1796006082
2	shop	INTENT_CAPTURED	int_01a22a4d-f786-79a7-965a-d8d978994b4e	1796006082
3	shop	INTENT_AUTHORIZED	int_01a22a4d-f799-7307-9dcc-19df49d52c9d	1796006082
4	shop	INTENT_AUTHORIZED	int_01a22a4d-f7a4-7c81-aec1-c46d2806b194	1796006082
\.


--
-- Data for Name: idempotency_keys; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.idempotency_keys (client_id, idem_key, request_hash, status_code, content_type, body, request_url, resource_id, created_at) FROM stdin;
shop	fixture-e8789cba5e80f130	2ce4f60ddd87bd4dd50077dd48902728b0623f241720d891ed3489e5bcd2c465	200	application/json; charset=utf-8	{"Address":{"AddressLine1":"4101 Reservoir Rd NW","AddressLine2":"","City":"Washington","Region":"District of Columbia","PostalCode":"20007","Country":"US"},"FirstName":"John","LastName":"Doe","Birthday":188301600,"Nationality":"FR","CountryOfResidence":"FR","Occupation":"programmer","IncomeRange":3,"Capacity":"NORMAL","Tag":null,"Email":"john.doe@sample.org","UserCategory":"OWNER","TermsAndConditionsAccepted":true,"PhoneNumber":null,"PhoneNumberCountry":null,"Id":"user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f","CreationDate":1796006082,"PersonType":"NATURAL","KYCLevel":"LIGHT","UserStatus":"ACTIVE","ProofOfIdentity":null,"ProofOfAddress":null,"TermsAndConditionsAcceptedDate":1796006082}	http://127.0.0.1:40731/v2.01/shop/users/natural	user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f	1796006082
shop	fixture-9451f408591ab600	b1df8d3532607b5d26540ecec7e7bb70910bb0cb112c47a95a73282f357de2b8	200	application/json; charset=utf-8	{"Id":"wlt_m_01a22a4d-f772-788c-893b-45322005d2f1","Owners":["user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f"],"Description":"shop EUR","Currency":"EUR","FundsType":"DEFAULT","Tag":"t1","CreationDate":1796006082,"Balance":{"Currency":"EUR","Amount":0}}	http://127.0.0.1:40731/v2.01/shop/wallets	wlt_m_01a22a4d-f772-788c-893b-45322005d2f1	1796006082
shop	fixture-e87d9d8274f9f060	0182ae2a59cedb822993cb4645afe89f42e11b127eb752a8eee8e6217c52ee85	200	application/json; charset=utf-8	{"Id":"int_01a22a4d-f786-79a7-965a-d8d978994b4e","Amount":6000,"AvailableAmountToSplit":0,"UnfundedAmount":0,"Currency":"EUR","PlatformFeesAmount":350,"Status":"AUTHORIZED","NextActions":"CAPTURE, CANCEL","ExternalData":{"ExternalProcessingDate":1728133765,"ExternalProviderReference":"ref-d1d72ccbdca7aeba","ExternalMerchantReference":"Order-8085f59c","ExternalProviderName":"Stripe","ExternalProviderPaymentMethod":"PAYPAL"},"Buyer":null,"LineItems":[{"Id":"int_li_01a22a4d-f786-7a82-9dd2-aa61a93864f2","Seller":{"AuthorId":"user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f","WalletId":"wlt_m_01a22a4d-f772-788c-893b-45322005d2f1","FeesAmount":100,"TransferDate":1728133765},"Sku":"sku-0","Name":"item 0","Description":null,"Category":null,"Quantity":1,"UnitAmount":1000,"TaxAmount":0,"DiscountAmount":0,"ShippingAddress":null,"TotalLineItemAmount":1000,"CapturedAmount":0,"RefundedAmount":0,"DisputedAmount":0,"SplitAmount":0,"CancelledAmount":0,"CanceledAmount":0,"UnfundedSellerAmount":0},{"Id":"int_li_01a22a4d-f786-76a4-888d-c431f7dd4262","Seller":{"AuthorId":"user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f","WalletId":"wlt_m_01a22a4d-f772-788c-893b-45322005d2f1","FeesAmount":250,"TransferDate":1728133765},"Sku":"sku-1","Name":"item 1","Description":null,"Category":null,"Quantity":2,"UnitAmount":2500,"TaxAmount":0,"DiscountAmount":0,"ShippingAddress":null,"TotalLineItemAmount":5000,"CapturedAmount":0,"RefundedAmount":0,"DisputedAmount":0,"SplitAmount":0,"CancelledAmount":0,"CanceledAmount":0,"UnfundedSellerAmount":0}],"Captures":[],"Refunds":[],"Disputes":[],"Splits":[],"SettlementId":null,"CreationDate":1796006082,"ExecutionDate":1796006082}	http://127.0.0.1:40731/V3.0/shop/payins/intents	int_01a22a4d-f786-79a7-965a-d8d978994b4e	1796006082
shop	fixture-c1c1646c8448404d	2192f7f8523a4de0cea5dfe8433cab31f5797983626c7cfb928e3865d2defd70	200	application/json; charset=utf-8	{"Id":"int_01a22a4d-f786-79a7-965a-d8d978994b4e","Amount":6000,"AvailableAmountToSplit":400,"UnfundedAmount":0,"Currency":"EUR","PlatformFeesAmount":300,"Status":"PARTIALLY_CAPTURED","NextActions":"CAPTURE, REFUND, DISPUTE","ExternalData":{"ExternalProcessingDate":1728133765,"ExternalProviderReference":"ref-d1d72ccbdca7aeba","ExternalMerchantReference":"Order-8085f59c","ExternalProviderName":"Stripe","ExternalProviderPaymentMethod":"PAYPAL"},"Buyer":null,"LineItems":[{"Id":"int_li_01a22a4d-f786-7a82-9dd2-aa61a93864f2","Seller":{"AuthorId":"user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f","WalletId":"wlt_m_01a22a4d-f772-788c-893b-45322005d2f1","FeesAmount":100,"TransferDate":1728133765},"Sku":"sku-0","Name":"item 0","Description":null,"Category":null,"Quantity":1,"UnitAmount":1000,"TaxAmount":0,"DiscountAmount":0,"ShippingAddress":null,"TotalLineItemAmount":1000,"CapturedAmount":400,"RefundedAmount":0,"DisputedAmount":0,"SplitAmount":0,"CancelledAmount":0,"CanceledAmount":0,"UnfundedSellerAmount":0},{"Id":"int_li_01a22a4d-f786-76a4-888d-c431f7dd4262","Seller":{"AuthorId":"user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f","WalletId":"wlt_m_01a22a4d-f772-788c-893b-45322005d2f1","FeesAmount":200,"TransferDate":1728133765},"Sku":"sku-1","Name":"item 1","Description":null,"Category":null,"Quantity":2,"UnitAmount":2500,"TaxAmount":0,"DiscountAmount":0,"ShippingAddress":null,"TotalLineItemAmount":5000,"CapturedAmount":0,"RefundedAmount":0,"DisputedAmount":0,"SplitAmount":0,"CancelledAmount":1000,"CanceledAmount":1000,"UnfundedSellerAmount":0}],"Captures":[{"Id":"int_capture_01a22a4d-f792-7b50-9b8a-d8f70f027286","CreationDate":1796006082,"ExecutionDate":1796006082,"Amount":400,"Status":"CAPTURED","LineItems":[{"Id":"int_li_01a22a4d-f786-7a82-9dd2-aa61a93864f2","Amount":400}]}],"Refunds":[],"Disputes":[],"Splits":[],"SettlementId":null,"CreationDate":1796006082,"ExecutionDate":1796006082,"Capture":{"Id":"int_capture_01a22a4d-f792-7b50-9b8a-d8f70f027286"}}	http://127.0.0.1:40731/V3.0/shop/payins/intents/int_01a22a4d-f786-79a7-965a-d8d978994b4e/captures	int_01a22a4d-f786-79a7-965a-d8d978994b4e	1796006082
shop	fixture-0cae553e195a792a	bece493d3cc019423cb684db14043cbf3cf9dff3e3e0ebc53b800677e0b6ef5d	400	application/json; charset=utf-8	{"Message":"One or several required parameters are missing or incorrect. An incorrect resource ID also raises this kind of error.","Type":"param_error","Id":"d9bbb142-70f2-4f49-af97-6e5a0d737ee2","Date":1796006082,"Errors":{"Amount":"Amount must equal the sum of the line items' TotalLineItemAmount (10)"}}	http://127.0.0.1:40731/V3.0/shop/payins/intents	d9bbb142-70f2-4f49-af97-6e5a0d737ee2	1796006082
\.


--
-- Data for Name: intent_action_lines; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.intent_action_lines (action_id, "position", line_item_id, amount, fee_removed) FROM stdin;
int_cancel_01a22a4d-f78c-7804-aa6a-2e955d318144	0	int_li_01a22a4d-f786-76a4-888d-c431f7dd4262	1000	50
int_capture_01a22a4d-f792-7b50-9b8a-d8f70f027286	0	int_li_01a22a4d-f786-7a82-9dd2-aa61a93864f2	400	0
int_cancel_01a22a4d-f7a0-763c-b580-d92ab53481d7	0	int_li_01a22a4d-f799-73a1-96dd-751ff54864ad	700	7
int_cancel_01a22a4d-f7a0-763c-b580-d92ab53481d7	1	int_li_01a22a4d-f79d-70c7-9c3e-9ae53de7432f	300	3
\.


--
-- Data for Name: intent_actions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.intent_actions (id, intent_id, "position", kind, status, amount, created_at, ext_present, ext_processing_date, ext_provider_reference, ext_merchant_reference, ext_provider_name, ext_payment_method) FROM stdin;
int_cancel_01a22a4d-f78c-7804-aa6a-2e955d318144	int_01a22a4d-f786-79a7-965a-d8d978994b4e	0	cancel	CANCELLED	1000	1796006082	0	0				
int_capture_01a22a4d-f792-7b50-9b8a-d8f70f027286	int_01a22a4d-f786-79a7-965a-d8d978994b4e	1	capture	CAPTURED	400	1796006082	0	0				
int_cancel_01a22a4d-f7a0-763c-b580-d92ab53481d7	int_01a22a4d-f799-7307-9dcc-19df49d52c9d	0	cancel	CANCELLED	1000	1796006082	0	0				
\.


--
-- Data for Name: intent_line_items; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.intent_line_items (id, intent_id, "position", sku, name, description, category, quantity, unit_amount, tax_amount, discount_amount, seller_author_id, seller_wallet_id, seller_transfer_date, shipping_address, total, fee_initial, fee, captured, cancelled, refunded, disputed, split) FROM stdin;
int_li_01a22a4d-f786-76a4-888d-c431f7dd4262	int_01a22a4d-f786-79a7-965a-d8d978994b4e	1	sku-1	item 1			2	2500	0	0	user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f	wlt_m_01a22a4d-f772-788c-893b-45322005d2f1	1728133765		5000	250	200	0	1000	0	0	0
int_li_01a22a4d-f786-7a82-9dd2-aa61a93864f2	int_01a22a4d-f786-79a7-965a-d8d978994b4e	0	sku-0	item 0			1	1000	0	0	user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f	wlt_m_01a22a4d-f772-788c-893b-45322005d2f1	1728133765		1000	100	100	400	0	0	0	0
int_li_01a22a4d-f799-73a1-96dd-751ff54864ad	int_01a22a4d-f799-7307-9dcc-19df49d52c9d	0	sku-0	item 0			1	700	0	0	user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f	wlt_m_01a22a4d-f772-788c-893b-45322005d2f1	1728133765		700	7	0	0	700	0	0	0
int_li_01a22a4d-f79d-70c7-9c3e-9ae53de7432f	int_01a22a4d-f799-7307-9dcc-19df49d52c9d	1	sku-0	item 0			1	300	0	0	user_m_01a22a4d-f761-7c08-90c0-d26c9dd36f0f	wlt_m_01a22a4d-f772-788c-893b-45322005d2f1	1728133765		300	3	0	0	300	0	0	0
int_li_01a22a4d-f7a4-7021-a43e-d9c0b73a69b2	int_01a22a4d-f7a4-7c81-aec1-c46d2806b194	0	sku-0	item 0			1	5000	0	0	user_m_01a22a4d-f76a-71ea-8334-9458bb14a6e9	wlt_m_01a22a4d-f77b-7e08-a105-d1c1a6cab8a2	1728133765		5000	500	500	0	0	0	0	0
\.


--
-- Data for Name: intents; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.intents (id, client_id, currency, status, amount, platform_fees, unfunded_amount, buyer_id, ext_processing_date, ext_provider_reference, ext_merchant_reference, ext_provider_name, ext_payment_method, created_at, execution_date) FROM stdin;
int_01a22a4d-f786-79a7-965a-d8d978994b4e	shop	EUR	PARTIALLY_CAPTURED	6000	300	0		1728133765	ref-d1d72ccbdca7aeba	Order-8085f59c	Stripe	PAYPAL	1796006082	1796006082
int_01a22a4d-f799-7307-9dcc-19df49d52c9d	shop	EUR	CANCELLED	1000	0	0		1728133765	basket-1	Order-8aeab4bc	Stripe	PAYPAL	1796006082	1796006082
int_01a22a4d-f7a4-7c81-aec1-c46d2806b194	shop	GBP	AUTHORIZED	5000	500	0		1728133765	ref-26e3d749f69b6efd	Order-1e618959	Stripe	PAYPAL	1796006082	1796006082
\.


--
-- Data for Name: journal_transactions; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.journal_transactions (id, client_id, kind, ref, created_at) FROM stdin;
1	shop	intent.create	int_01a22a4d-f786-79a7-965a-d8d978994b4e	1796006082
2	shop	intent.cancel	int_cancel_01a22a4d-f78c-7804-aa6a-2e955d318144	1796006082
3	shop	intent.capture	int_capture_01a22a4d-f792-7b50-9b8a-d8f70f027286	1796006082
4	shop	intent.create	int_01a22a4d-f799-7307-9dcc-19df49d52c9d	1796006082
5	shop	intent.add_lines	int_01a22a4d-f799-7307-9dcc-19df49d52c9d	1796006082
6	shop	intent.cancel	int_cancel_01a22a4d-f7a0-763c-b580-d92ab53481d7	1796006082
7	shop	intent.create	int_01a22a4d-f7a4-7c81-aec1-c46d2806b194	1796006082
\.


--
-- Data for Name: oauth_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.oauth_tokens (token_hash, client_id, expires_at) FROM stdin;
38d2acce855f8c1a0831131d6dbf11130d26a8c63095a7ab6b0150e7b1d670bd	shop	2111366082
\.


--
-- Data for Name: postings; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.postings (tx_id, seq, account_id, side, phase, amount, posted_balance_after, pending_balance_after) FROM stdin;
1	0	8	1	1	1000	0	-1000
1	1	9	0	0	100	100	0
1	2	10	1	0	100	-100	0
1	3	11	1	1	5000	0	-5000
1	4	9	0	0	250	350	0
1	5	12	1	0	250	-250	0
1	6	13	0	1	6000	0	6000
2	0	11	1	2	1000	0	-4000
2	1	14	0	0	1000	1000	0
2	2	15	1	0	1000	-1000	0
2	3	12	0	0	50	-200	0
2	4	9	1	0	50	300	0
2	5	13	0	2	1000	0	5000
3	0	8	1	2	400	0	-600
3	1	8	1	0	400	-400	-600
3	2	13	0	2	400	0	4600
3	3	13	0	0	400	400	4600
4	0	16	1	1	700	0	-700
4	1	9	0	0	7	307	0
4	2	17	1	0	7	-7	0
4	3	13	0	1	700	400	5300
5	0	18	1	1	300	0	-300
5	1	9	0	0	3	310	0
5	2	19	1	0	3	-3	0
5	3	13	0	1	300	400	5600
6	0	16	1	2	700	0	0
6	1	14	0	0	700	1700	0
6	2	20	1	0	700	-700	0
6	3	17	0	0	7	0	0
6	4	9	1	0	7	303	0
6	5	18	1	2	300	0	0
6	6	14	0	0	300	2000	0
6	7	21	1	0	300	-300	0
6	8	19	0	0	3	0	0
6	9	9	1	0	3	300	0
6	10	13	0	2	1000	400	4600
7	0	22	1	1	5000	0	-5000
7	1	23	0	0	500	500	0
7	2	24	1	0	500	-500	0
7	3	25	0	1	5000	0	5000
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migrations (version, applied_at) FROM stdin;
1	1796006082
\.


--
-- Name: accounts accounts_client_id_currency_kind_ref_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_client_id_currency_kind_ref_key UNIQUE (client_id, currency, kind, ref);


--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);


--
-- Name: clients clients_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.clients
    ADD CONSTRAINT clients_pkey PRIMARY KEY (id);


--
-- Name: documents documents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.documents
    ADD CONSTRAINT documents_pkey PRIMARY KEY (kind, id);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);


--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (client_id, idem_key);


--
-- Name: intent_action_lines intent_action_lines_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.intent_action_lines
    ADD CONSTRAINT intent_action_lines_pkey PRIMARY KEY (action_id, "position");


--
-- Name: intent_actions intent_actions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.intent_actions
    ADD CONSTRAINT intent_actions_pkey PRIMARY KEY (id);


--
-- Name: intent_line_items intent_line_items_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.intent_line_items
    ADD CONSTRAINT intent_line_items_pkey PRIMARY KEY (id);


--
-- Name: intents intents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.intents
    ADD CONSTRAINT intents_pkey PRIMARY KEY (id);


--
-- Name: journal_transactions journal_transactions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journal_transactions
    ADD CONSTRAINT journal_transactions_pkey PRIMARY KEY (id);


--
-- Name: oauth_tokens oauth_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT oauth_tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: postings postings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.postings
    ADD CONSTRAINT postings_pkey PRIMARY KEY (tx_id, seq);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: actions_by_intent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX actions_by_intent ON public.intent_actions USING btree (intent_id, "position");


--
-- Name: documents_by_client; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX documents_by_client ON public.documents USING btree (client_id, kind, seq);


--
-- Name: intents_by_reference; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX intents_by_reference ON public.intents USING btree (client_id, ext_provider_name, ext_provider_reference);


--
-- Name: journal_by_ref; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX journal_by_ref ON public.journal_transactions USING btree (client_id, ref);


--
-- Name: line_items_by_intent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX line_items_by_intent ON public.intent_line_items USING btree (intent_id, "position");


--
-- Name: postings_by_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX postings_by_account ON public.postings USING btree (account_id, tx_id, seq);


--
-- PostgreSQL database dump complete
--

\unrestrict IR5b5K3hYnmIEmhegpKQUoG5WV6V0ZuDjOGbmyQYQhTnR4GqMdiysqIFjTbXEqV

