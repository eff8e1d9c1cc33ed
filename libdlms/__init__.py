"""libdlms: a DLMS/COSEM (IEC 62056) client library, sans-IO at its core.

This module is the public API a client needs: the asyncio client and its settings, what to
read (``AttributeDescriptor``, ``Obis``), the values that come back (``Data``, ``ScalerUnit``,
``CosemDateTime``), security (``Mechanism``, ``SecurityPolicy``, ``SecurityKeys``, the
invocation counters) and the errors. ::

    from libdlms import AttributeDescriptor, ClientSettings, DlmsClient, MeterReader, Obis
    from libdlms import SerialTransport

    energy = AttributeDescriptor(3, Obis.parse("1-0:1.8.0*255"))
    async with DlmsClient(SerialTransport("/dev/ttyUSB0"), ClientSettings()) as client:
        (reading,) = await MeterReader().read(client, [energy])
        print(reading.scaled_value, reading.unit)

Layers, bottom up; each imports only those below it. The subpackages' own ``__init__``
modules are public too, for servers, translators and tests that need the wire formats or the
state machines; the modules inside them are not.

- ``errors``, ``obis``: the error tree and the OBIS code, used by every layer.
- ``codecs``: HDLC frames, A-XDR data, ACSE (BER) and xDLMS APDUs, the wrapper, IEC 62056-21.
- ``security``: security suites, ciphering, HLS, invocation counters.
- ``cosem``: interface classes, units and ScalerUnit, date-time, profile buffers.
- ``session``: sans-IO state machines (HDLC link, application association).
- ``transport``, ``client``: the asyncio side, on serialx.
- ``cli``: the command line (``python -m libdlms``).

Nothing here imports Home Assistant; the Home Assistant integration vendors this package.
"""

from .client import (
    ClientSettings,
    DlmsClient,
    KeptSession,
    MeterReader,
    ObjectReading,
    read_invocation_counter,
    read_object_list,
)
from .client.clock_sync import ClockSync, ClockSyncRefused, synchronise_clock
from .client.detection import (
    AddressCandidate,
    Attempt,
    Detection,
    Detector,
    NothingDetected,
    PollDetected,
    PushDetected,
    SerialLine,
    detect,
    load_detection_facts,
)
from .client.identity import MeterIdentity, read_identity
from .client.listener import Connected, Disconnected, ListenerEvent, PushListener
from .client.meter_presets import (
    MeterPreset,
    load_meter_presets,
    meter_preset_named,
    preset_addresses,
)
from .client.profile import read_profile
from .client.push_presets import PushPreset, load_push_presets, push_preset_named
from .codecs.acse import Mechanism
from .codecs.axdr import BitString, Data, DataType, data_from_json
from .codecs.xdlms import AttributeDescriptor, MethodDescriptor
from .cosem.clock import CosemDateTime
from .cosem.interface_classes import InterfaceClass, ObjectListElement, parse_object_list
from .cosem.manufacturers import load_manufacturers, manufacturer_for_flag, manufacturer_name
from .cosem.profile import Profile
from .cosem.push import FormatProfile, load_formats
from .cosem.push.values import PushValue
from .cosem.units import ScalerUnit
from .errors import (
    ActionError,
    AssociationRejected,
    AuthenticationFailed,
    AuthenticationTagMismatch,
    CommunicationError,
    ConfigurationError,
    DataAccessError,
    DecipheringError,
    DecipheringRefused,
    DecodeError,
    DlmsError,
    DlmsTimeoutError,
    EncodeError,
    FrameError,
    InvocationCounterError,
    InvocationCounterRefused,
    KeyRequired,
    LocalProtocolError,
    NoLinkError,
    ProtocolError,
    RemoteProtocolError,
    SecurityError,
    ServiceError,
    WrongEncryptionKey,
)
from .obis import Obis
from .security import (
    InvocationCounter,
    InvocationCounterGuard,
    SecurityKeys,
    SecurityPolicy,
    key_length,
)
from .security.ecdsa import load_private_key as ecdsa_private_key_from_pem
from .security.ecdsa import load_public_key as ecdsa_public_key_from_pem
from .session.push import (
    BytesSkipped,
    Framing,
    Notification,
    NotificationFailed,
    NotificationReceived,
    PushEvent,
    PushReceiver,
    PushStatistics,
    StreamKind,
    StreamNotDlms,
)
from .transport import (
    SerialTransport,
    TcpTransport,
    Transport,
    UdpTransport,
    is_wrapper_url,
    normalize_url,
    transport_for_url,
)

__version__ = "0.2.0"

__all__ = [
    "ActionError",
    "AddressCandidate",
    "AssociationRejected",
    "Attempt",
    "AttributeDescriptor",
    "AuthenticationFailed",
    "AuthenticationTagMismatch",
    "BitString",
    "BytesSkipped",
    "ClientSettings",
    "ClockSync",
    "ClockSyncRefused",
    "CommunicationError",
    "ConfigurationError",
    "Connected",
    "CosemDateTime",
    "Data",
    "DataAccessError",
    "DataType",
    "DecipheringError",
    "DecipheringRefused",
    "DecodeError",
    "Detection",
    "Detector",
    "Disconnected",
    "DlmsClient",
    "DlmsError",
    "DlmsTimeoutError",
    "EncodeError",
    "FormatProfile",
    "FrameError",
    "Framing",
    "InterfaceClass",
    "InvocationCounter",
    "InvocationCounterError",
    "InvocationCounterGuard",
    "InvocationCounterRefused",
    "KeptSession",
    "KeyRequired",
    "ListenerEvent",
    "LocalProtocolError",
    "Mechanism",
    "MeterIdentity",
    "MeterPreset",
    "MeterReader",
    "MethodDescriptor",
    "NoLinkError",
    "NothingDetected",
    "Notification",
    "NotificationFailed",
    "NotificationReceived",
    "Obis",
    "ObjectListElement",
    "ObjectReading",
    "PollDetected",
    "Profile",
    "ProtocolError",
    "PushDetected",
    "PushEvent",
    "PushListener",
    "PushPreset",
    "PushReceiver",
    "PushStatistics",
    "PushValue",
    "RemoteProtocolError",
    "ScalerUnit",
    "SecurityError",
    "SecurityKeys",
    "SecurityPolicy",
    "SerialLine",
    "SerialTransport",
    "ServiceError",
    "StreamKind",
    "StreamNotDlms",
    "TcpTransport",
    "Transport",
    "UdpTransport",
    "WrongEncryptionKey",
    "__version__",
    "data_from_json",
    "detect",
    "ecdsa_private_key_from_pem",
    "ecdsa_public_key_from_pem",
    "is_wrapper_url",
    "key_length",
    "load_detection_facts",
    "load_formats",
    "load_manufacturers",
    "load_meter_presets",
    "load_push_presets",
    "manufacturer_for_flag",
    "manufacturer_name",
    "meter_preset_named",
    "normalize_url",
    "parse_object_list",
    "preset_addresses",
    "push_preset_named",
    "read_identity",
    "read_invocation_counter",
    "read_object_list",
    "read_profile",
    "synchronise_clock",
    "transport_for_url",
]
