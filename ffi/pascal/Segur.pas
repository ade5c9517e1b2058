{ Segur.pas: Delphi and Free Pascal binding of libsegur (segur.h).

  Conventions of the C API, as seen from Delphi:
  - every import is cdecl (never Delphi's default `register`; Win64 has a single convention and
    ignores it); the library is libsegur.so on Linux, segur.dll on Windows, imported by the
    undecorated names the DLL exports and found beside the executable (ship the i686 DLL to
    32-bit applications, the x86_64 one to 64-bit ones; see ffi/WINDOWS.md);
  - text goes in as UTF-8 PAnsiChar + length (PChar is PWideChar since Delphi 2009: never use
    it here); use SegurIn to pass a UTF8String;
  - strings the library returns are freed with segur_string_free, never with Delphi's
    allocator: SegurTake copies one into a UTF8String and frees it;
  - functions return a TSegurResult (0 = SEGUR_RESULT_OK); outputs are written only on success;
    SegurCheck raises ESegurError with the message and the detail (never patient data).

  Kept in step with segur.h by ffi/pascal/check-unit.sh (run by scripts/test.d/50-ffi). }
unit Segur;

{$IFDEF FPC}
  {$MODE DELPHI}
  {$PACKRECORDS C}
{$ENDIF}

interface

uses
  SysUtils;

const
{$IFDEF MSWINDOWS}
  SegurLib = 'segur.dll';
{$ELSE}
  SegurLib = 'segur';
{$ENDIF}

type
  TSegurResult = Cardinal;
  { Opaque handles. }
  PSegurNormalizer = type Pointer;
  PSegurIdentity = type Pointer;
  PSegurInsiClient = type Pointer;
  PSegurCpsCard = type Pointer;
  PSegurVitaleCard = type Pointer;
  PSegurAccess = type Pointer;
  PSegurStore = type Pointer;
  PSegurXdmPackage = type Pointer;
  PSegurMssMailbox = type Pointer;
  PSegurMssCredentials = type Pointer;
  PSegurDmpClient = type Pointer;
  PSegurPscProvider = type Pointer;
  { segur_psc_progress_callback: called on the thread of segur_psc_provider_login }
  TSegurPscProgressCallback = procedure(UserData: Pointer; Event: Cardinal;
    BindingMessage: PAnsiChar; ElapsedMs: UInt64); cdecl;
  { size_t }
  TSegurSize = NativeUInt;
  PSegurSize = ^TSegurSize;

const
  SEGUR_RESULT_OK = 0;
  SEGUR_RESULT_NULL_PARAMETER = 1000;
  SEGUR_RESULT_PANIC = 1001;
  SEGUR_RESULT_INVALID_UTF8 = 1002;
  SEGUR_RESULT_INSUFFICIENT_SIZE = 1003;
  SEGUR_RESULT_INVALID_JSON = 1004;
  SEGUR_RESULT_INVALID_PARAMETER = 1005;
  SEGUR_RESULT_INPUT_TOO_LARGE = 1006;
  SEGUR_RESULT_INTERIOR_NUL = 1007;
  SEGUR_RESULT_INS_LENGTH = 2000;
  SEGUR_RESULT_INS_INVALID_CHAR = 2001;
  SEGUR_RESULT_INS_LETTER_POSITION = 2002;
  SEGUR_RESULT_INS_KEY_FORMAT = 2003;
  SEGUR_RESULT_INS_KEY_OUT_OF_RANGE = 2004;
  SEGUR_RESULT_INS_KEY_MISMATCH = 2005;
  SEGUR_RESULT_INS_NNP = 2006;
  SEGUR_RESULT_INS_MIG = 2007;
  SEGUR_RESULT_INS_SEX34 = 2008;
  SEGUR_RESULT_INS_SEX_DIGIT = 2009;
  SEGUR_RESULT_INS_ORDER_ZERO = 2010;
  SEGUR_RESULT_INS_MATRICULE_OTHER = 2019;
  SEGUR_RESULT_INS_LEGACY_INS_C = 2020;
  SEGUR_RESULT_INS_UNKNOWN_AUTHORITY = 2021;
  SEGUR_RESULT_INS_NAME_EMPTY = 2030;
  SEGUR_RESULT_INS_NAME_UNSUPPORTED_CHAR = 2031;
  SEGUR_RESULT_INS_NAME_LEADING_SEPARATOR = 2032;
  SEGUR_RESULT_INS_NAME_TRAILING_SPACE = 2033;
  SEGUR_RESULT_INS_NAME_TRAILING_SEPARATOR = 2034;
  SEGUR_RESULT_INS_NAME_COMBINED_SEPARATORS = 2035;
  SEGUR_RESULT_INS_NAME_DOUBLE_HYPHEN = 2036;
  SEGUR_RESULT_INS_NAME_TOO_LONG = 2037;
  SEGUR_RESULT_INS_NAME_OTHER = 2049;
  SEGUR_RESULT_INS_TRAITS_NO_GIVEN_NAME = 2050;
  SEGUR_RESULT_INS_TRAITS_FIRST_GIVEN_NAME = 2051;
  SEGUR_RESULT_INS_TRAITS_SEX = 2052;
  SEGUR_RESULT_INS_TRAITS_SEX_INDETERMINATE = 2053;
  SEGUR_RESULT_INS_TRAITS_DATE_FORMAT = 2054;
  SEGUR_RESULT_INS_TRAITS_DATE_NOT_CALENDAR = 2055;
  SEGUR_RESULT_INS_TRAITS_BIRTHPLACE = 2056;
  SEGUR_RESULT_INS_TRAITS_OTHER = 2059;
  SEGUR_RESULT_INSI_TOO_LARGE = 2060;
  SEGUR_RESULT_INSI_XML = 2061;
  SEGUR_RESULT_INSI_DTD = 2062;
  SEGUR_RESULT_INSI_TOO_DEEP = 2063;
  SEGUR_RESULT_INSI_NO_RESULT = 2064;
  SEGUR_RESULT_INSI_MISSING = 2065;
  SEGUR_RESULT_INSI_SEVERAL_INDIVIDUALS = 2066;
  SEGUR_RESULT_INSI_FAULT = 2067;
  SEGUR_RESULT_INSI_INVALID_INS = 2068;
  SEGUR_RESULT_INSI_OTHER = 2079;
  SEGUR_RESULT_IDENTITY_INSI_BLOCKED = 2080;
  SEGUR_RESULT_IDENTITY_DOUBTFUL = 2081;
  SEGUR_RESULT_IDENTITY_NOT_QUALIFIED = 2082;
  SEGUR_RESULT_IDENTITY_OTHER = 2089;
  SEGUR_RESULT_IDENTIFIER_LENGTH = 2090;
  SEGUR_RESULT_IDENTIFIER_INVALID_CHAR = 2091;
  SEGUR_RESULT_IDENTIFIER_CHECK_DIGIT = 2092;
  SEGUR_RESULT_IDENTIFIER_OTHER = 2099;
  SEGUR_RESULT_INSI_ENDPOINT = 2100;
  SEGUR_RESULT_INSI_TLS_CONFIG = 2101;
  SEGUR_RESULT_INSI_UNKNOWN_SERVER_CA = 2102;
  SEGUR_RESULT_INSI_SERVER_NAME_MISMATCH = 2103;
  SEGUR_RESULT_INSI_SERVER_CERTIFICATE_EXPIRED = 2104;
  SEGUR_RESULT_INSI_CLIENT_CERTIFICATE_REFUSED = 2105;
  SEGUR_RESULT_INSI_TLS = 2106;
  SEGUR_RESULT_INSI_NETWORK = 2107;
  SEGUR_RESULT_INSI_HTTP = 2108;
  SEGUR_RESULT_INSI_HTTP_STATUS = 2109;
  SEGUR_RESULT_INSI_ASSERTION = 2110;
  SEGUR_RESULT_INSI_TOKEN = 2111;
  SEGUR_RESULT_INSI_CLIENT_OTHER = 2119;
  SEGUR_RESULT_CDA_BUILD_MISSING = 3000;
  SEGUR_RESULT_CDA_BUILD_INVALID = 3001;
  SEGUR_RESULT_CDA_BUILD_OTHER = 3009;
  SEGUR_RESULT_CDA_XML = 3010;
  SEGUR_RESULT_CDA_NOT_CDA = 3011;
  SEGUR_RESULT_CDA_MISSING = 3012;
  SEGUR_RESULT_CDA_INVALID = 3013;
  SEGUR_RESULT_CDA_NAMESPACE = 3014;
  SEGUR_RESULT_CDA_NON_XML_BODY_MARKUP = 3015;
  SEGUR_RESULT_CDA_OTHER = 3019;
  SEGUR_RESULT_XDM_ZIP = 4000;
  SEGUR_RESULT_XDM_UNSAFE_PATH = 4001;
  SEGUR_RESULT_XDM_ENCRYPTED = 4002;
  SEGUR_RESULT_XDM_DUPLICATE = 4003;
  SEGUR_RESULT_XDM_TOO_LARGE = 4004;
  SEGUR_RESULT_XDM_METADATA = 4005;
  SEGUR_RESULT_XDM_INTEGRITY = 4006;
  SEGUR_RESULT_XDM_CDA = 4007;
  SEGUR_RESULT_XDM_XDS = 4008;
  SEGUR_RESULT_XDM_UNCHECKED = 4009;
  SEGUR_RESULT_XDM_SENDER_MISSING = 4010;
  SEGUR_RESULT_XDM_OTHER = 4099;
  SEGUR_RESULT_MSS_INVALID_ADDRESS = 5000;
  SEGUR_RESULT_MSS_INVALID_HEADER = 5001;
  SEGUR_RESULT_MSS_COMPOSE = 5002;
  SEGUR_RESULT_MSS_XDM = 5003;
  SEGUR_RESULT_MSS_PDF = 5004;
  SEGUR_RESULT_MSS_TOO_LARGE = 5005;
  SEGUR_RESULT_MSS_MALFORMED = 5006;
  SEGUR_RESULT_MSS_MALFORMED_REPORT = 5007;
  SEGUR_RESULT_MSS_OTHER = 5099;
  SEGUR_RESULT_MSS_TLS = 5010;
  SEGUR_RESULT_MSS_CERTIFICATE = 5011;
  SEGUR_RESULT_MSS_DISCOVERY = 5017;
  SEGUR_RESULT_MSS_ANNUAIRE = 5018;
  SEGUR_RESULT_MSS_TLS_UNKNOWN_CA = 5020;
  SEGUR_RESULT_MSS_TLS_NAME_MISMATCH = 5021;
  SEGUR_RESULT_MSS_TLS_CERTIFICATE_EXPIRED = 5022;
  SEGUR_RESULT_MSS_TLS_CLIENT_CERTIFICATE_REFUSED = 5023;
  SEGUR_RESULT_MSS_TOKEN_EXPIRED = 5030;
  SEGUR_RESULT_MSS_TOKEN_REFUSED = 5031;
  SEGUR_RESULT_MSS_TOKEN_PROVIDER = 5032;
  SEGUR_RESULT_MSS_TOKEN_MALFORMED = 5033;
  SEGUR_RESULT_MSS_XDM_ARCHIVE = 5040;
  SEGUR_RESULT_MSS_XDM_METADATA = 5041;
  SEGUR_RESULT_MSS_XDM_INTEGRITY = 5042;
  SEGUR_RESULT_MSS_XDM_CDA = 5043;
  SEGUR_RESULT_MSS_XDM_CONTENT = 5044;
  SEGUR_RESULT_MSS_DISCOVERY_NO_RESOLVER = 5050;
  SEGUR_RESULT_MSS_DISCOVERY_NO_ANSWER = 5051;
  SEGUR_RESULT_MSS_DISCOVERY_MALFORMED_ANSWER = 5052;
  SEGUR_RESULT_MSS_DISCOVERY_RESOLVER_ERROR = 5053;
  SEGUR_RESULT_MSS_ANNUAIRE_HTTP_STATUS = 5060;
  SEGUR_RESULT_MSS_ANNUAIRE_NETWORK = 5061;
  SEGUR_RESULT_MSS_ANNUAIRE_MALFORMED = 5062;
  SEGUR_RESULT_MSS_SMTP_NETWORK = 5070;
  SEGUR_RESULT_MSS_SMTP_CONNECTION_CLOSED = 5071;
  SEGUR_RESULT_MSS_SMTP_START_TLS_UNAVAILABLE = 5072;
  SEGUR_RESULT_MSS_SMTP_REFUSED_TRANSIENT = 5073;
  SEGUR_RESULT_MSS_SMTP_REFUSED_PERMANENT = 5074;
  SEGUR_RESULT_MSS_SMTP_PROTOCOL = 5075;
  SEGUR_RESULT_MSS_SMTP_AUTHENTICATION_FAILED = 5076;
  SEGUR_RESULT_MSS_SMTP_NO_USABLE_MECHANISM = 5077;
  SEGUR_RESULT_MSS_IMAP_NETWORK = 5080;
  SEGUR_RESULT_MSS_IMAP_CONNECTION_CLOSED = 5081;
  SEGUR_RESULT_MSS_IMAP_START_TLS_UNAVAILABLE = 5082;
  SEGUR_RESULT_MSS_IMAP_REFUSED_NO = 5083;
  SEGUR_RESULT_MSS_IMAP_REFUSED_BAD = 5084;
  SEGUR_RESULT_MSS_IMAP_BYE = 5085;
  SEGUR_RESULT_MSS_IMAP_PROTOCOL = 5086;
  SEGUR_RESULT_MSS_IMAP_AUTHENTICATION_FAILED = 5087;
  SEGUR_RESULT_MSS_IMAP_NO_USABLE_MECHANISM = 5088;
  SEGUR_RESULT_EP_IMAGE = 6000;
  SEGUR_RESULT_EP_IMAGE_TOO_LARGE = 6001;
  SEGUR_RESULT_EP_TOO_LONG = 6002;
  SEGUR_RESULT_EP_SCANNER_INPUT = 6003;
  SEGUR_RESULT_EP_TWO_D_DOC_HEADER = 6010;
  SEGUR_RESULT_EP_TWO_D_DOC_VERSION = 6011;
  SEGUR_RESULT_EP_TWO_D_DOC_MESSAGE = 6012;
  SEGUR_RESULT_EP_TWO_D_DOC_SIGNATURE_FORMAT = 6013;
  SEGUR_RESULT_EP_UNKNOWN_CERTIFICATE = 6014;
  SEGUR_RESULT_EP_CERTIFICATE = 6015;
  SEGUR_RESULT_EP_CERTIFICATE_NOT_VALID_AT_SIGNATURE_DATE = 6016;
  SEGUR_RESULT_EP_BAD_SIGNATURE = 6017;
  SEGUR_RESULT_EP_INS_DATAMATRIX = 6020;
  SEGUR_RESULT_EP_RENDER = 6021;
  SEGUR_RESULT_EP_PRESCRIPTION_ID = 6030;
  SEGUR_RESULT_EP_DISPENSATION = 6031;
  SEGUR_RESULT_EP_OTHER = 6099;
  SEGUR_RESULT_CARD_REMOVED = 7000;
  SEGUR_RESULT_CARD_RESET = 7001;
  SEGUR_RESULT_CARD_NO_CARD = 7002;
  SEGUR_RESULT_CARD_UNRESPONSIVE = 7003;
  SEGUR_RESULT_CARD_READER_UNAVAILABLE = 7004;
  SEGUR_RESULT_CARD_SHARING_VIOLATION = 7005;
  SEGUR_RESULT_CARD_NO_SERVICE = 7006;
  SEGUR_RESULT_CARD_TIMEOUT = 7007;
  SEGUR_RESULT_CARD_PCSC = 7008;
  SEGUR_RESULT_CARD_NO_SUCH_READER = 7009;
  SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING = 7010;
  SEGUR_RESULT_CARD_DATA = 7020;
  SEGUR_RESULT_CARD_STATUS = 7021;
  SEGUR_RESULT_CARD_WRONG_PIN = 7022;
  SEGUR_RESULT_CARD_PIN_BLOCKED = 7023;
  SEGUR_RESULT_CARD_PIN_REQUIRED = 7024;
  SEGUR_RESULT_CARD_INVALID_PIN = 7025;
  SEGUR_RESULT_CARD_WRONG_CARD = 7026;
  SEGUR_RESULT_CARD_UNSUPPORTED = 7027;
  SEGUR_RESULT_CARD_COMMAND = 7028;
  SEGUR_RESULT_CARD_TOO_LARGE = 7029;
  SEGUR_RESULT_CARD_OTHER = 7099;
  SEGUR_RESULT_DMP_CONFIG = 8000;
  SEGUR_RESULT_DMP_TLS_CONFIG = 8001;
  SEGUR_RESULT_DMP_SIGNING = 8002;
  SEGUR_RESULT_DMP_VIHF = 8003;
  SEGUR_RESULT_DMP_REQUEST = 8004;
  SEGUR_RESULT_DMP_TOKEN = 8005;
  SEGUR_RESULT_DMP_TLS_UNKNOWN_CA = 8010;
  SEGUR_RESULT_DMP_TLS_NAME_MISMATCH = 8011;
  SEGUR_RESULT_DMP_TLS_CERTIFICATE_EXPIRED = 8012;
  SEGUR_RESULT_DMP_TLS_CLIENT_CERTIFICATE_REFUSED = 8013;
  SEGUR_RESULT_DMP_TLS = 8014;
  SEGUR_RESULT_DMP_NETWORK = 8020;
  SEGUR_RESULT_DMP_CONNECTION_LOST = 8021;
  SEGUR_RESULT_DMP_TIMEOUT = 8022;
  SEGUR_RESULT_DMP_HTTP_STATUS = 8023;
  SEGUR_RESULT_DMP_HTTP = 8024;
  SEGUR_RESULT_DMP_SOAP_FAULT = 8030;
  SEGUR_RESULT_DMP_REFUSED = 8040;
  SEGUR_RESULT_DMP_CLOSED = 8041;
  SEGUR_RESULT_DMP_NO_AUTHORISATION = 8042;
  SEGUR_RESULT_DMP_NO_DMP = 8043;
  SEGUR_RESULT_DMP_UNKNOWN_DOCUMENT = 8044;
  SEGUR_RESULT_DMP_DUPLICATE_DOCUMENT = 8045;
  SEGUR_RESULT_DMP_DEPRECATED_DOCUMENT = 8046;
  SEGUR_RESULT_DMP_INTEGRITY = 8047;
  SEGUR_RESULT_DMP_PARTIAL_SUCCESS = 8048;
  SEGUR_RESULT_DMP_RESPONSE = 8060;
  SEGUR_RESULT_DMP_DOCUMENT_MISMATCH = 8061;
  SEGUR_RESULT_DMP_DOCUMENT = 8070;
  SEGUR_RESULT_DMP_PATIENT_NOT_QUALIFIED = 8071;
  SEGUR_RESULT_DMP_XDM_DOCUMENT = 8072;
  SEGUR_RESULT_DMP_OTHER = 8099;
  SEGUR_RESULT_PSC_UNREACHABLE = 9000;
  SEGUR_RESULT_PSC_TLS = 9001;
  SEGUR_RESULT_PSC_BAD_ANSWER = 9002;
  SEGUR_RESULT_PSC_NOT_SIGNED_IN = 9010;
  SEGUR_RESULT_PSC_SESSION_ENDED = 9011;
  SEGUR_RESULT_PSC_FOREIGN_TOKEN = 9012;
  SEGUR_RESULT_PSC_DENIED = 9020;
  SEGUR_RESULT_PSC_EXPIRED = 9021;
  SEGUR_RESULT_PSC_UNKNOWN_CLIENT = 9022;
  SEGUR_RESULT_PSC_UNAVAILABLE = 9023;
  SEGUR_RESULT_PSC_REFUSED = 9030;
  SEGUR_RESULT_PSC_OTHER = 9099;
  SEGUR_RESULT_ACCESS_STORAGE = 10000;
  SEGUR_RESULT_ACCESS_NOT_INITIALISED = 10001;
  SEGUR_RESULT_ACCESS_ALREADY_INITIALISED = 10002;
  SEGUR_RESULT_ACCESS_KEY = 10003;
  SEGUR_RESULT_ACCESS_POLICY = 10004;
  SEGUR_RESULT_ACCESS_UNKNOWN_ROLE = 10005;
  SEGUR_RESULT_ACCESS_UNKNOWN_PERMISSION = 10006;
  SEGUR_RESULT_ACCESS_PASSWORD_RULE = 10010;
  SEGUR_RESULT_ACCESS_USER_NAME = 10011;
  SEGUR_RESULT_ACCESS_USER_EXISTS = 10012;
  SEGUR_RESULT_ACCESS_NO_SUCH_USER = 10013;
  SEGUR_RESULT_ACCESS_BAD_CREDENTIALS = 10020;
  SEGUR_RESULT_ACCESS_SECOND_FACTOR = 10021;
  SEGUR_RESULT_ACCESS_NO_SECOND_FACTOR = 10022;
  SEGUR_RESULT_ACCESS_THROTTLED = 10023;
  SEGUR_RESULT_ACCESS_LOCKED_OUT = 10024;
  SEGUR_RESULT_ACCESS_UNKNOWN_SESSION = 10030;
  SEGUR_RESULT_ACCESS_SESSION_LOCKED = 10031;
  SEGUR_RESULT_ACCESS_STRONG_REAUTH_REQUIRED = 10032;
  SEGUR_RESULT_ACCESS_SESSION_CLOSED = 10033;
  SEGUR_RESULT_ACCESS_DENIED = 10040;
  SEGUR_RESULT_ACCESS_ESCALATION = 10041;
  SEGUR_RESULT_ACCESS_AUDIT_TAMPERED = 10050;
  SEGUR_RESULT_ACCESS_AUDIT = 10051;
  SEGUR_RESULT_ACCESS_OTHER = 10099;
  SEGUR_RESULT_STORE_STORAGE = 11000;
  SEGUR_RESULT_STORE_CORRUPT = 11001;
  SEGUR_RESULT_STORE_UNKNOWN_DOCUMENT = 11002;
  SEGUR_RESULT_STORE_UNKNOWN_PATIENT = 11003;
  SEGUR_RESULT_STORE_UNKNOWN_REVIEW = 11004;
  SEGUR_RESULT_STORE_ALREADY_DECIDED = 11005;
  SEGUR_RESULT_STORE_INVALID_FIELD = 11006;
  SEGUR_RESULT_STORE_ARCHIVE_REFUSED = 11007;
  SEGUR_RESULT_STORE_ARCHIVE_UNREADABLE = 11008;
  SEGUR_RESULT_STORE_EXPORT = 11009;
  SEGUR_RESULT_STORE_EXPORT_OPTIONS = 11010;
  SEGUR_RESULT_STORE_RETRIEVED_CONFLICT = 11011;
  SEGUR_RESULT_STORE_RETRIEVED_OTHER_PATIENT = 11012;
  SEGUR_RESULT_STORE_OTHER = 11099;

  { segur_psc_channel }
  SEGUR_PSC_CHANNEL_CARD = 1;
  SEGUR_PSC_CHANNEL_MOBILE = 2;
  { segur_psc_progress }
  SEGUR_PSC_PROGRESS_STARTED = 1;
  SEGUR_PSC_PROGRESS_WAITING = 2;
  SEGUR_PSC_PROGRESS_CONNECTED = 3;
  { segur_name_kind }
  SEGUR_NAME_KIND_BIRTH_NAME = 1;
  SEGUR_NAME_KIND_GIVEN_NAME = 2;
  { segur_identity_attributes }
  SEGUR_IDENTITY_ATTRIBUTES_NONE = 0;
  SEGUR_IDENTITY_ATTRIBUTES_HOMONYME = 1;
  SEGUR_IDENTITY_ATTRIBUTES_DOUTEUSE = 2;
  SEGUR_IDENTITY_ATTRIBUTES_DOUTEUSE_HOMONYME = 3;
  SEGUR_IDENTITY_ATTRIBUTES_FICTIVE = 4;
  { segur_identity_status }
  SEGUR_IDENTITY_STATUS_PROVISOIRE = 1;
  SEGUR_IDENTITY_STATUS_RECUPEREE = 2;
  SEGUR_IDENTITY_STATUS_VALIDEE = 3;
  SEGUR_IDENTITY_STATUS_QUALIFIEE = 4;
  { segur_card_key }
  SEGUR_CARD_KEY_AUTHENTICATION = 1;
  SEGUR_CARD_KEY_SIGNATURE = 2;
  SEGUR_CARD_KEY_TECHNICAL = 3;
  { segur_signature_algorithm }
  SEGUR_SIGNATURE_ALGORITHM_RSA_PKCS1_SHA256 = 1;
  SEGUR_SIGNATURE_ALGORITHM_RSA_PSS_SHA256 = 2;
  SEGUR_SIGNATURE_ALGORITHM_RSA_PKCS1_SHA1 = 3;
  SEGUR_SIGNATURE_ALGORITHM_RSA_PSS_SHA1 = 4;
  { segur_identifier_kind }
  SEGUR_IDENTIFIER_KIND_RPPS = 1;
  SEGUR_IDENTIFIER_KIND_ADELI = 2;
  SEGUR_IDENTIFIER_KIND_FINESS = 3;
  SEGUR_IDENTIFIER_KIND_SIREN = 4;
  SEGUR_IDENTIFIER_KIND_SIRET = 5;
  { segur_payload_kind }
  SEGUR_PAYLOAD_KIND_OTHER = 0;
  SEGUR_PAYLOAD_KIND_TWO_D_DOC_C40 = 1;
  SEGUR_PAYLOAD_KIND_TWO_D_DOC_BINARY = 2;
  SEGUR_PAYLOAD_KIND_INS_DATAMATRIX = 3;
  { segur_dmp_authorization }
  SEGUR_DMP_AUTHORIZATION_ADD = 1;
  SEGUR_DMP_AUTHORIZATION_REMOVE = 2;
  { segur_dmp_status_filter }
  SEGUR_DMP_STATUS_FILTER_APPROVED = 1;
  SEGUR_DMP_STATUS_FILTER_DEPRECATED = 2;
  SEGUR_DMP_STATUS_FILTER_ALL = 3;
  { segur_dmp_change }
  SEGUR_DMP_CHANGE_MASK = 1;
  SEGUR_DMP_CHANGE_UNMASK = 2;
  SEGUR_DMP_CHANGE_MAKE_VISIBLE_TO_PATIENT = 3;
  SEGUR_DMP_CHANGE_ARCHIVE = 4;
  SEGUR_DMP_CHANGE_UNARCHIVE = 5;
  SEGUR_DMP_CHANGE_DELETE = 6;

{ General }
function segur_version: PAnsiChar; cdecl; external SegurLib;
procedure segur_string_free(S: PAnsiChar); cdecl; external SegurLib;
function segur_result_message(Result: Cardinal; Buf: PAnsiChar; Len: TSegurSize;
  out OutLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_result_name(Result: Cardinal): PAnsiChar; cdecl; external SegurLib;
function segur_result_is_ins_error(Result: Cardinal): Boolean; cdecl; external SegurLib;
function segur_result_is_card_error(Result: Cardinal): Boolean; cdecl; external SegurLib;
function segur_result_is_dmp_refusal(Result: Cardinal): Boolean; cdecl; external SegurLib;
procedure segur_bytes_free(Ptr: PByte; Len: TSegurSize); cdecl; external SegurLib;
function segur_last_error_detail(Buf: PAnsiChar; Len: TSegurSize;
  out OutLen: TSegurSize): TSegurResult; cdecl; external SegurLib;

{ INS: matricule, INS, names, traits, coherence }
function segur_ins_matricule_check(Input: PAnsiChar; InputLen: TSegurSize;
  out OutMatricule: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_ins_matricule_check_into(Input: PAnsiChar; InputLen: TSegurSize;
  Buf: PAnsiChar; BufLen: TSegurSize; out OutLen: TSegurSize): TSegurResult; cdecl;
  external SegurLib;
function segur_ins_matricule_key(Body: PAnsiChar; BodyLen: TSegurSize;
  out OutKey: Byte): TSegurResult; cdecl; external SegurLib;
function segur_ins_matricule_decode(Input: PAnsiChar; InputLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_ins_check(Matricule: PAnsiChar; MatriculeLen: TSegurSize; Oid: PAnsiChar;
  OidLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_ins_normalize_name(Kind: Cardinal; Input: PAnsiChar; InputLen: TSegurSize;
  out OutName: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_ins_traits_normalize(TraitsJson: PAnsiChar; TraitsJsonLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_ins_coherence(Matricule: PAnsiChar; MatriculeLen: TSegurSize;
  TraitsJson: PAnsiChar; TraitsJsonLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult;
  cdecl; external SegurLib;

{ Normaliser handle: immutable, shareable between threads. }
function segur_normalizer_new(MaxLen: TSegurSize;
  out OutNormalizer: PSegurNormalizer): TSegurResult; cdecl; external SegurLib;
function segur_normalizer_name(Normalizer: PSegurNormalizer; Kind: Cardinal; Input: PAnsiChar;
  InputLen: TSegurSize; out OutName: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_normalizer_traits(Normalizer: PSegurNormalizer; TraitsJson: PAnsiChar;
  TraitsJsonLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
procedure segur_normalizer_free(Normalizer: PSegurNormalizer); cdecl; external SegurLib;

{ Identity handle (RNIV status): one thread at a time for mutating calls. }
function segur_identity_new(TraitsJson: PAnsiChar; TraitsJsonLen: TSegurSize;
  Attributes: Cardinal; out OutIdentity: PSegurIdentity): TSegurResult; cdecl; external SegurLib;
function segur_identity_from_json(Json: PAnsiChar; JsonLen: TSegurSize;
  out OutIdentity: PSegurIdentity): TSegurResult; cdecl; external SegurLib;
function segur_identity_to_json(Identity: PSegurIdentity;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_identity_get_status(Identity: PSegurIdentity;
  out OutStatus: Cardinal): TSegurResult; cdecl; external SegurLib;
function segur_identity_can_transmit_matricule(Identity: PSegurIdentity): Boolean;
  cdecl; external SegurLib;
function segur_identity_may_call_insi(Identity: PSegurIdentity): Boolean;
  cdecl; external SegurLib;
function segur_identity_qualified_ins(Identity: PSegurIdentity;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_identity_record_insi_retrieval(Identity: PSegurIdentity; Matricule: PAnsiChar;
  MatriculeLen: TSegurSize; Oid: PAnsiChar; OidLen: TSegurSize; TraitsJson: PAnsiChar;
  TraitsJsonLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_identity_record_document_check(Identity: PSegurIdentity;
  DocumentJson: PAnsiChar; DocumentJsonLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_identity_mark(Identity: PSegurIdentity;
  Attributes: Cardinal): TSegurResult; cdecl; external SegurLib;
procedure segur_identity_free(Identity: PSegurIdentity); cdecl; external SegurLib;

{ INSi responses, professional identifiers }
function segur_insi_parse_response(Xml: PAnsiChar; XmlLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
{ INSi client: searches on one client may run concurrently. }
function segur_insi_client_new(Endpoint: PAnsiChar; EndpointLen: TSegurSize; RootsPem: PAnsiChar;
  RootsPemLen: TSegurSize; ChainPem: PAnsiChar; ChainPemLen: TSegurSize; KeyPem: PAnsiChar;
  KeyPemLen: TSegurSize; SoftwareJson: PAnsiChar; SoftwareJsonLen: TSegurSize;
  out OutClient: PSegurInsiClient): TSegurResult; cdecl; external SegurLib;
{ Authentication modes: mutual TLS alone (default), CPx (a CPS handle whose PIN was verified,
  borrowed until the client is freed or set to another mode), Pro Santé Connect. }
function segur_insi_client_set_auth_mtls(Client: PSegurInsiClient): TSegurResult; cdecl;
  external SegurLib;
function segur_insi_client_set_auth_psc(Client: PSegurInsiClient; ProfessionalJson: PAnsiChar;
  ProfessionalJsonLen: TSegurSize; Token: PAnsiChar; TokenLen: TSegurSize;
  ExpiresAtUnix: UInt64): TSegurResult; cdecl; external SegurLib;
{ The token of each search from a proxy e-Sante session; the client keeps its own reference:
  the provider may be freed before or after the client. }
function segur_insi_client_set_auth_psc_provider(Client: PSegurInsiClient;
  ProfessionalJson: PAnsiChar; ProfessionalJsonLen: TSegurSize; Provider: PSegurPscProvider;
  Backend: PAnsiChar; BackendLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_insi_client_set_auth_cps(Client: PSegurInsiClient; Card: PSegurCpsCard;
  ProfessionalJson: PAnsiChar; ProfessionalJsonLen: TSegurSize): TSegurResult; cdecl;
  external SegurLib;
function segur_insi_client_set_timeout(Client: PSegurInsiClient;
  TimeoutMs: Cardinal): TSegurResult; cdecl; external SegurLib;
function segur_insi_client_search(Client: PSegurInsiClient; TraitsJson: PAnsiChar;
  TraitsJsonLen: TSegurSize; IncludeRawXml: Boolean;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
procedure segur_insi_client_free(Client: PSegurInsiClient); cdecl; external SegurLib;

{ Cards (PC/SC): one thread at a time per card handle. }
function segur_card_list(out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_cps_card_open(Reader: PAnsiChar; ReaderLen: TSegurSize;
  out OutCard: PSegurCpsCard): TSegurResult; cdecl; external SegurLib;
function segur_cps_card_info(Card: PSegurCpsCard; out OutJson: PAnsiChar): TSegurResult;
  cdecl; external SegurLib;
function segur_cps_card_verify_pin(Card: PSegurCpsCard; Pin: PAnsiChar;
  PinLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_cps_card_certificate(Card: PSegurCpsCard; Key: Cardinal; out OutDer: PByte;
  out OutDerLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_cps_card_sign(Card: PSegurCpsCard; Key: Cardinal; Algorithm: Cardinal;
  Message: PByte; MessageLen: TSegurSize; out OutSignature: PByte;
  out OutSignatureLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
procedure segur_cps_card_free(Card: PSegurCpsCard); cdecl; external SegurLib;

{ Vitale 2 public identity zone (read-only); the JSON is patient data }
function segur_vitale_card_open(Reader: PAnsiChar; ReaderLen: TSegurSize;
  out OutCard: PSegurVitaleCard): TSegurResult; cdecl; external SegurLib;
function segur_vitale_card_read_identity(Card: PSegurVitaleCard;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
procedure segur_vitale_card_free(Card: PSegurVitaleCard); cdecl; external SegurLib;

{ Access security: one handle per database, thread-safe. Session ids and enrolment URIs are
  secrets: free them with segur_access_secret_free (wiped first). NULL PolicyToml or
  ConfigJson: the defaults. }
function segur_access_init(DbPath: PAnsiChar; DbPathLen: TSegurSize; KeyPath: PAnsiChar;
  KeyPathLen: TSegurSize; PolicyToml: PAnsiChar; PolicyTomlLen: TSegurSize;
  ConfigJson: PAnsiChar; ConfigJsonLen: TSegurSize;
  out OutAccess: PSegurAccess): TSegurResult; cdecl; external SegurLib;
function segur_access_open(DbPath: PAnsiChar; DbPathLen: TSegurSize; KeyPath: PAnsiChar;
  KeyPathLen: TSegurSize; ConfigJson: PAnsiChar; ConfigJsonLen: TSegurSize;
  out OutAccess: PSegurAccess): TSegurResult; cdecl; external SegurLib;
procedure segur_access_free(Access: PSegurAccess); cdecl; external SegurLib;
procedure segur_access_secret_free(Secret: PAnsiChar); cdecl; external SegurLib;
function segur_access_user_add(Access: PSegurAccess; Name: PAnsiChar; NameLen: TSegurSize;
  Role: PAnsiChar; RoleLen: TSegurSize; Password: PAnsiChar;
  PasswordLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_access_totp_enroll(Access: PSegurAccess; Name: PAnsiChar; NameLen: TSegurSize;
  out OutUri: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_access_login(Access: PSegurAccess; Name: PAnsiChar; NameLen: TSegurSize;
  Password: PAnsiChar; PasswordLen: TSegurSize; TotpCode: PAnsiChar; TotpCodeLen: TSegurSize;
  Workstation: PAnsiChar; WorkstationLen: TSegurSize;
  out OutSession: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_access_check(Access: PSegurAccess; Session: PAnsiChar; SessionLen: TSegurSize;
  Permission: PAnsiChar; PermissionLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_access_lock(Access: PSegurAccess; Session: PAnsiChar;
  SessionLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_access_unlock(Access: PSegurAccess; Session: PAnsiChar; SessionLen: TSegurSize;
  Password: PAnsiChar; PasswordLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_access_reauthenticate(Access: PSegurAccess; Session: PAnsiChar;
  SessionLen: TSegurSize; Password: PAnsiChar; PasswordLen: TSegurSize; TotpCode: PAnsiChar;
  TotpCodeLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_access_logout(Access: PSegurAccess; Session: PAnsiChar;
  SessionLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_access_audit_verify(DbPath: PAnsiChar; DbPathLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_access_audit_export(DbPath: PAnsiChar; DbPathLen: TSegurSize;
  out OutJsonl: PAnsiChar): TSegurResult; cdecl; external SegurLib;

{ Document store and MSSanté inbox: one handle per store folder, thread-safe. JSON out-values
  are freed with segur_string_free. }
function segur_store_open(Path: PAnsiChar; PathLen: TSegurSize;
  out OutStore: PSegurStore): TSegurResult; cdecl; external SegurLib;
procedure segur_store_free(Store: PSegurStore); cdecl; external SegurLib;
function segur_store_inbox_sync(Store: PSegurStore; Mailbox: PSegurMssMailbox;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_store_review(Store: PSegurStore; All: Boolean;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_store_attach(Store: PSegurStore; ReviewId: Int64; PatientId: Int64;
  Actor: PAnsiChar; ActorLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_store_reject(Store: PSegurStore; ReviewId: Int64; Actor: PAnsiChar;
  ActorLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_store_export(Store: PSegurStore; OptionsJson: PAnsiChar;
  OptionsJsonLen: TSegurSize; OutPath: PAnsiChar; OutPathLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_store_import(Store: PSegurStore; Path: PAnsiChar; PathLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;

{ CDA documents and IHE_XDM archives }
function segur_cda_example(DocType: PAnsiChar; DocTypeLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_cda_build(Json: PAnsiChar; JsonLen: TSegurSize;
  out OutXml: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_cda_read(Xml: PByte; XmlLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_cda_validate(Xml: PByte; XmlLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_xdm_pack(Cda: PByte; CdaLen: TSegurSize; Pdf: PByte; PdfLen: TSegurSize;
  OptionsJson: PAnsiChar; OptionsJsonLen: TSegurSize; out OutZip: PByte;
  out OutZipLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_xdm_unpack(Zip: PByte; ZipLen: TSegurSize;
  out OutPackage: PSegurXdmPackage): TSegurResult; cdecl; external SegurLib;
function segur_xdm_unpack_checked(Zip: PByte; ZipLen: TSegurSize; RequireHashAndSize: Boolean;
  out OutPackage: PSegurXdmPackage): TSegurResult; cdecl; external SegurLib;
function segur_xdm_package_json(Package: PSegurXdmPackage;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_xdm_package_count(Package: PSegurXdmPackage): TSegurSize; cdecl;
  external SegurLib;
{ The bytes are borrowed from the package: valid until segur_xdm_package_free, never freed. }
function segur_xdm_package_document(Package: PSegurXdmPackage; Index: TSegurSize;
  out OutBytes: PByte; out OutLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
procedure segur_xdm_package_free(Package: PSegurXdmPackage); cdecl; external SegurLib;

{ MSSante messages }
function segur_mss_compose(OptionsJson: PAnsiChar; OptionsJsonLen: TSegurSize; Xdm: PByte;
  XdmLen: TSegurSize; out OutEml: PByte; out OutEmlLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_mss_parse(Eml: PByte; EmlLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;

{ MSSante credentials: trust anchors, and a PSC token or a PKCS#12 mailbox certificate;
  secrets are zeroized on replace and free. Read-only for the connecting functions. }
function segur_mss_credentials_new(out OutCredentials: PSegurMssCredentials): TSegurResult;
  cdecl; external SegurLib;
function segur_mss_credentials_set_roots_pem(Credentials: PSegurMssCredentials;
  RootsPem: PByte; RootsPemLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_mss_credentials_set_token(Credentials: PSegurMssCredentials;
  Token: PAnsiChar; TokenLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
function segur_mss_credentials_set_pkcs12(Credentials: PSegurMssCredentials;
  Pkcs12: PByte; Pkcs12Len: TSegurSize; Password: PAnsiChar;
  PasswordLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
procedure segur_mss_credentials_free(Credentials: PSegurMssCredentials); cdecl;
  external SegurLib;
function segur_mss_credentials_set_psc_provider(Credentials: PSegurMssCredentials;
  Provider: PSegurPscProvider; Backend: PAnsiChar; BackendLen: TSegurSize): TSegurResult;
  cdecl; external SegurLib;

{ Pro Sante Connect through the vendor's proxy e-Sante: a provider signs in by CIBA (blocking,
  progress callback on the calling thread); it holds only the proxy's application token. }
function segur_psc_provider_new(ConfigJson: PAnsiChar; ConfigJsonLen: TSegurSize;
  out OutProvider: PSegurPscProvider): TSegurResult; cdecl; external SegurLib;
function segur_psc_provider_login(Provider: PSegurPscProvider; NationalId: PAnsiChar;
  NationalIdLen: TSegurSize; Channel: Cardinal; Progress: TSegurPscProgressCallback;
  UserData: Pointer; out OutWhoamiJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_psc_provider_whoami(Provider: PSegurPscProvider;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_psc_provider_logout(Provider: PSegurPscProvider): TSegurResult; cdecl;
  external SegurLib;
procedure segur_psc_provider_free(Provider: PSegurPscProvider); cdecl; external SegurLib;

function segur_mss_send(ConnectionJson: PAnsiChar; ConnectionJsonLen: TSegurSize;
  Credentials: PSegurMssCredentials; OptionsJson: PAnsiChar; OptionsJsonLen: TSegurSize;
  Xdm: PByte; XdmLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult; cdecl;
  external SegurLib;

{ MSSante server discovery (DNS SRV, RFC 6186); Resolver nil = /etc/resolv.conf }
function segur_mss_discover(Domain: PAnsiChar; DomainLen: TSegurSize; Resolver: PAnsiChar;
  ResolverLen: TSegurSize; TimeoutMs: Cardinal; out OutJson: PAnsiChar): TSegurResult; cdecl;
  external SegurLib;

{ Annuaire Sante: MSSante mailboxes of health professionals (FHIR API) }
function segur_mss_annuaire_search(ClientJson: PAnsiChar; ClientJsonLen: TSegurSize;
  RootsPem: PByte; RootsPemLen: TSegurSize; ApiKey: PAnsiChar; ApiKeyLen: TSegurSize;
  SearchJson: PAnsiChar; SearchJsonLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult;
  cdecl; external SegurLib;

{ MSSante retrieval (IMAP): a mailbox handle is used by one thread at a time }
function segur_mss_mailbox_new(ConnectionJson: PAnsiChar; ConnectionJsonLen: TSegurSize;
  Credentials: PSegurMssCredentials; out OutMailbox: PSegurMssMailbox): TSegurResult; cdecl;
  external SegurLib;
function segur_mss_mailbox_pending(Mailbox: PSegurMssMailbox;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_mss_mailbox_fetch(Mailbox: PSegurMssMailbox; Uid: Cardinal; out OutEml: PByte;
  out OutEmlLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_mss_mailbox_mark_processed(Mailbox: PSegurMssMailbox;
  Uid: Cardinal): TSegurResult; cdecl; external SegurLib;
procedure segur_mss_mailbox_free(Mailbox: PSegurMssMailbox); cdecl; external SegurLib;

{ MSSante acknowledgements (MDN) }
function segur_mss_mdn_build(ReceivedEml: PByte; ReceivedEmlLen: TSegurSize;
  OptionsJson: PAnsiChar; OptionsJsonLen: TSegurSize; out OutEml: PByte;
  out OutEmlLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_mss_mdn_send(ConnectionJson: PAnsiChar; ConnectionJsonLen: TSegurSize;
  Credentials: PSegurMssCredentials; ReceivedEml: PByte; ReceivedEmlLen: TSegurSize;
  OptionsJson: PAnsiChar; OptionsJsonLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult;
  cdecl; external SegurLib;

{ 2D-Doc, INS Data Matrix, symbols, prescription number, dispensation }
function segur_twoddoc_parse(Code: PByte; CodeLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_twoddoc_verify(Code: PByte; CodeLen: TSegurSize; CertificateDer: PByte;
  CertificateDerLen: TSegurSize; SkipValidityPeriod: Boolean): TSegurResult; cdecl;
  external SegurLib;
function segur_ins_datamatrix_build(IdentityJson: PAnsiChar; IdentityJsonLen: TSegurSize;
  out OutPayload: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_ins_datamatrix_parse(Payload: PByte; PayloadLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_code_render(Symbology: Cardinal; Payload: PAnsiChar; PayloadLen: TSegurSize;
  ModulePx: Cardinal; out OutPixels: PByte; out OutPixelsLen: TSegurSize;
  out OutWidth: Cardinal; out OutHeight: Cardinal): TSegurResult; cdecl; external SegurLib;
function segur_code_render_png(Symbology: Cardinal; Payload: PAnsiChar; PayloadLen: TSegurSize;
  ModulePx: Cardinal; out OutPng: PByte; out OutPngLen: TSegurSize): TSegurResult; cdecl;
  external SegurLib;
function segur_prescription_id_read(Text: PAnsiChar; TextLen: TSegurSize;
  TypedByHand: Boolean; out OutId: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_eprescription_payload_kind(Payload: PByte; PayloadLen: TSegurSize;
  out OutKind: Cardinal): TSegurResult; cdecl; external SegurLib;
function segur_dispensation_check(CheckJson: PAnsiChar; CheckJsonLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;

{ E-prescription: 2D codes in images, keyboard-wedge scanners }
function segur_eprescription_decode_image(Image: PByte; ImageLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_eprescription_scanner_normalise(Text: PAnsiChar; TextLen: TSegurSize;
  ConfigJson: PAnsiChar; ConfigJsonLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult;
  cdecl; external SegurLib;

{ DMP: a client made from dmp.toml, thread-safe; every transaction blocks for its exchanges.
  Ins is the matricule of a qualified identity; nil ReplacesId or TypeCode: none; nil
  Matricule in segur_dmp_web_url: no patient; nil Oid: INS-NIR. }
function segur_dmp_client_new(ConfigPath: PAnsiChar; ConfigPathLen: TSegurSize;
  TimeoutMs: Cardinal; out OutClient: PSegurDmpClient): TSegurResult; cdecl; external SegurLib;
function segur_dmp_client_status(Client: PSegurDmpClient; Ins: PAnsiChar; InsLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_dmp_client_set_authorization(Client: PSegurDmpClient; Ins: PAnsiChar;
  InsLen: TSegurSize; Authorization: Cardinal): TSegurResult; cdecl; external SegurLib;
function segur_dmp_client_feed(Client: PSegurDmpClient; Cda: PByte; CdaLen: TSegurSize;
  ReplacesId: PAnsiChar; ReplacesIdLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult;
  cdecl; external SegurLib;
function segur_dmp_xdm_documents(Zip: PByte; ZipLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_dmp_client_feed_xdm(Client: PSegurDmpClient; Zip: PByte; ZipLen: TSegurSize;
  Indexes: PSegurSize; IndexesLen: TSegurSize; out OutJson: PAnsiChar): TSegurResult;
  cdecl; external SegurLib;
function segur_dmp_client_find(Client: PSegurDmpClient; Ins: PAnsiChar; InsLen: TSegurSize;
  TypeCode: PAnsiChar; TypeCodeLen: TSegurSize; Status: Cardinal;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;
function segur_dmp_client_get(Client: PSegurDmpClient; Ins: PAnsiChar; InsLen: TSegurSize;
  UniqueId: PAnsiChar; UniqueIdLen: TSegurSize; Buf: PByte; BufLen: TSegurSize;
  out OutLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
{ TD3.2 through the store: from the store when kept there (OutFromStore true, no DMP
  exchange), else retrieved, kept (filed to the patient or listed for review) and recorded in
  the store's audit trail with Actor. }
function segur_dmp_client_get_kept(Client: PSegurDmpClient; Store: PSegurStore; Ins: PAnsiChar;
  InsLen: TSegurSize; UniqueId: PAnsiChar; UniqueIdLen: TSegurSize; Actor: PAnsiChar;
  ActorLen: TSegurSize; Buf: PByte; BufLen: TSegurSize; out OutLen: TSegurSize;
  out OutDocumentId: Int64; out OutFromStore: Boolean): TSegurResult; cdecl; external SegurLib;
function segur_dmp_client_update(Client: PSegurDmpClient; Ins: PAnsiChar; InsLen: TSegurSize;
  UniqueId: PAnsiChar; UniqueIdLen: TSegurSize; Change: Cardinal): TSegurResult; cdecl;
  external SegurLib;
{ Pro Sante Connect: Authorization: Bearer with the token the proxy e-Sante releases for
  Backend, before each request; the provider may be freed before or after the client. }
function segur_dmp_client_set_psc_provider(Client: PSegurDmpClient; Provider: PSegurPscProvider;
  Backend: PAnsiChar; BackendLen: TSegurSize): TSegurResult; cdecl; external SegurLib;
procedure segur_dmp_client_free(Client: PSegurDmpClient); cdecl; external SegurLib;
function segur_dmp_web_url(BaseUrl: PAnsiChar; BaseUrlLen: TSegurSize; Page: PAnsiChar;
  PageLen: TSegurSize; Matricule: PAnsiChar; MatriculeLen: TSegurSize; Oid: PAnsiChar;
  OidLen: TSegurSize; out OutUrl: PAnsiChar): TSegurResult; cdecl; external SegurLib;

function segur_national_id(Kind: Cardinal; Input: PAnsiChar; InputLen: TSegurSize;
  out OutJson: PAnsiChar): TSegurResult; cdecl; external SegurLib;

type
  { Raised by SegurCheck: Code is the TSegurResult, Message its text plus the detail. }
  ESegurError = class(Exception)
  public
    Code: TSegurResult;
    constructor CreateCode(ACode: TSegurResult);
  end;

{ Pointer to the bytes of a UTF8String (never NIL, so an empty string is valid input). }
function SegurIn(const S: UTF8String): PAnsiChar;
{ Copies a string returned by the library and frees it with segur_string_free. }
function SegurTake(P: PAnsiChar): UTF8String;
{ The message of a result code. }
function SegurMessage(Code: TSegurResult): UTF8String;
{ The detail of the last error on this thread (may be empty). }
function SegurLastDetail: UTF8String;
{ Raises ESegurError unless Code is SEGUR_RESULT_OK. }
procedure SegurCheck(Code: TSegurResult);

implementation

const
  EmptyText: AnsiChar = #0;

function SegurIn(const S: UTF8String): PAnsiChar;
begin
  if Length(S) = 0 then
    Result := @EmptyText
  else
    Result := PAnsiChar(S);
end;

function SegurTake(P: PAnsiChar): UTF8String;
begin
  if P = nil then
    Exit('');
  Result := UTF8String(P);
  segur_string_free(P);
end;

function ReadBuffer(Code: TSegurResult; Detail: Boolean): UTF8String;
var
  N: TSegurSize;
  R: TSegurResult;
begin
  SetLength(Result, 256);
  if Detail then
    R := segur_last_error_detail(PAnsiChar(Result), Length(Result), N)
  else
    R := segur_result_message(Code, PAnsiChar(Result), Length(Result), N);
  if R = SEGUR_RESULT_INSUFFICIENT_SIZE then
  begin
    SetLength(Result, N);
    if Detail then
      R := segur_last_error_detail(PAnsiChar(Result), Length(Result), N)
    else
      R := segur_result_message(Code, PAnsiChar(Result), Length(Result), N);
  end;
  if R <> SEGUR_RESULT_OK then
    N := 0;
  SetLength(Result, N);
end;

function SegurMessage(Code: TSegurResult): UTF8String;
begin
  Result := ReadBuffer(Code, False);
end;

function SegurLastDetail: UTF8String;
begin
  Result := ReadBuffer(0, True);
end;

constructor ESegurError.CreateCode(ACode: TSegurResult);
var
  Text, Detail: UTF8String;
begin
  Text := SegurMessage(ACode);
  Detail := SegurLastDetail;
  if Detail <> '' then
    Text := Text + ' (' + Detail + ')';
  inherited Create(string(Text));
  Code := ACode;
end;

procedure SegurCheck(Code: TSegurResult);
begin
  if Code <> SEGUR_RESULT_OK then
    raise ESegurError.CreateCode(Code);
end;

end.
