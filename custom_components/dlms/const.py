"""Constants for the DLMS/COSEM meter integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

from .libdlms import (
    MeterPreset,
    Obis,
    load_formats,
    load_manufacturers,
    load_meter_presets,
)

DOMAIN: Final = "dlms"
LOGGER = logging.getLogger(__package__)

# Config entry data keys. The port lives under Home Assistant's own "port" key so that the
# usb integration can show which entry uses a serial port.
CONF_CLIENT_ADDRESS: Final = "client_address"
CONF_SERVER_LOGICAL_ADDRESS: Final = "server_logical_address"
CONF_SERVER_PHYSICAL_ADDRESS: Final = "server_physical_address"
CONF_ADDRESS_SIZE: Final = "address_size"
CONF_AUTHENTICATION: Final = "authentication"
CONF_OBIS_CODES: Final = "obis_codes"  # form field only
CONF_OBJECTS: Final = "objects"  # entry data: [{"obis": "1.0.1.8.0.255", "class_id": 3}, ...]
CONF_MODEL: Final = "model"  # entry data: the model detection read (mode E identification)
# Entry data (and options): the meter's object list has a disconnect control (class 70,
# 0-0:96.3.10.255), offered as a switch.
CONF_DISCONNECTOR: Final = "disconnector"
DISCONNECTOR_OBIS: Final = Obis(0, 0, 96, 3, 10, 255)
DISCONNECT_CONTROL_CLASS: Final = 70

AUTH_NONE: Final = "none"
AUTH_LLS: Final = "lls"
AUTH_HLS_MD5: Final = "hls_md5"
AUTH_HLS_SHA1: Final = "hls_sha1"
AUTH_HLS_GMAC: Final = "hls_gmac"
AUTH_HLS_SHA256: Final = "hls_sha256"
AUTH_HLS_ECDSA: Final = "hls_ecdsa"
AUTHENTICATIONS: Final = [
    AUTH_NONE,
    AUTH_LLS,
    AUTH_HLS_MD5,
    AUTH_HLS_SHA1,
    AUTH_HLS_GMAC,
    AUTH_HLS_SHA256,
    AUTH_HLS_ECDSA,
]

# Security (IEC 62056-5-3 security setup): the policy, the suite and the keys.
CONF_SECURITY_POLICY: Final = "security_policy"
CONF_SECURITY_SUITE: Final = "security_suite"
CONF_ENCRYPTION_KEY: Final = "encryption_key"
CONF_AUTHENTICATION_KEY: Final = "authentication_key"
CONF_SYSTEM_TITLE: Final = "system_title"
# HLS-ECDSA (security suites 1 and 2): the client's signing key and the meter's public key or
# certificate, as PEM text.
CONF_CLIENT_PRIVATE_KEY: Final = "client_private_key"
CONF_SERVER_PUBLIC_KEY: Final = "server_public_key"
CONF_IC_SOURCE: Final = "invocation_counter_source"
CONF_IC_OBIS: Final = "invocation_counter_obis"
CONF_INVOCATION_COUNTER: Final = "invocation_counter"  # the next value after the flow's probe

POLICY_NONE: Final = "none"
SECURITY_POLICIES: Final = ["none", "authentication", "encryption", "authenticated-encryption"]
SECURITY_SUITES: Final = ["0", "1", "2"]
IC_SOURCE_PERSISTED: Final = "persisted"
IC_SOURCE_METER: Final = "meter"
IC_SOURCES: Final = [IC_SOURCE_PERSISTED, IC_SOURCE_METER]
DEFAULT_IC_OBIS: Final = "0.0.43.1.0.255"
DEFAULT_SYSTEM_TITLE: Final = "4D4D4D0000000001"
PUBLIC_CLIENT_ADDRESS: Final = 16
SYSTEM_TITLE_LENGTH: Final = 8

ADDRESS_SIZE_AUTO: Final = "auto"
ADDRESS_SIZES: Final = [ADDRESS_SIZE_AUTO, "1", "2", "4"]

DEFAULT_CLIENT_ADDRESS: Final = 16  # the public client
# The usual client SAPs (public 16, management 1; SPODES reader 32 with LLS and configurator 48
# with HLS) or "custom" for the numeric field.
CONF_CLIENT_ADDRESS_PRESET: Final = "client_address_preset"  # form field only
CLIENT_ADDRESS_CUSTOM: Final = "custom"
CLIENT_ADDRESS_PRESETS: Final = ["16", "1", "32", "48", CLIENT_ADDRESS_CUSTOM]
DEFAULT_SERVER_LOGICAL_ADDRESS: Final = 1  # the management logical device
DEFAULT_SERVER_PHYSICAL_ADDRESS: Final = 17
# Known meters' server addressing (the library's presets, data read once at import: Home
# Assistant imports integrations in an executor), chosen in the addressing step; the client
# address stays the user's choice (it is the access level the grid operator granted, not a
# property of the meter). "custom" uses the typed fields.
CONF_METER_PRESET: Final = "meter_preset"  # form field only
METER_PRESET_CUSTOM: Final = "custom"
METER_PRESETS: Final[dict[str, MeterPreset]] = {p.id: p for p in load_meter_presets()}
# The library's other data files, read here once rather than in the event loop: the FLAG list
# (device pages) and the push format profiles (the first notification's decoding).
load_manufacturers()
load_formats()
METER_PRESET_OPTIONS: Final = [*METER_PRESETS, METER_PRESET_CUSTOM]
DEFAULT_OBIS_CODES: Final = [
    "1.0.1.8.0.255",
    "1.0.2.8.0.255",
    "1.0.1.7.0.255",
    "1.0.32.7.0.255",
]

BAUDRATE: Final = 9600
CONF_BAUDRATE: Final = "baudrate"
CONF_MODE_E: Final = "mode_e"
BAUDRATES: Final = [
    "300",
    "600",
    "1200",
    "2400",
    "4800",
    "9600",
    "19200",
    "38400",
    "57600",
    "115200",
]
RESPONSE_TIMEOUT: Final = 5.0  # seconds per answer, not per session
SCAN_INTERVAL: Final = timedelta(seconds=30)
MAX_BACKOFF: Final = timedelta(minutes=15)  # the longest wait after failed sessions
# On a port shared with other entries: failed polls in a row that are retried after one
# interval before the wait grows (a meter alone on its port is always tried every interval).
FAILURES_BEFORE_BACKOFF: Final = 3

# A cumulative register that reads lower than the last published value is held back (the
# last value stays) until this many reads in a row agree on the lower value: one bad read,
# a 0 included, is never published; a real reset (a meter's register cleared by the grid
# operator) is, a few polls late, and Home Assistant's statistics then start a new cycle.
RESET_CONFIRMATIONS: Final = 3

SERIAL_NUMBER_OBIS: Final = Obis(0, 0, 96, 1, 0, 255)
LOGICAL_DEVICE_NAME_OBIS: Final = Obis(0, 0, 42, 0, 0, 255)
# Active firmware identifier (electricity), for the device's software version.
FIRMWARE_OBIS: Final = Obis(1, 0, 0, 2, 0, 255)


# Load profile import into long-term statistics (entry options; defaults below).
CONF_LOAD_PROFILE_IMPORT: Final = "load_profile_import"
CONF_LOAD_PROFILE: Final = "load_profile"
CONF_BACKFILL_DAYS: Final = "backfill_days"
DEFAULT_LOAD_PROFILE: Final = "1.0.99.1.0.255"
DEFAULT_BACKFILL_DAYS: Final = 7
# Keep one association open between polls (off: the port is free between polls).
CONF_KEEP_SESSION: Final = "keep_session"
# Keep the meter's clock within this many seconds of Home Assistant's (0: never set it).
CONF_CLOCK_TOLERANCE: Final = "clock_tolerance"

# Push meters (the meter sends by itself; the entry listens). ``mode`` is absent in entries
# made before push existed: they poll.
CONF_MODE: Final = "mode"
MODE_POLL: Final = "poll"
MODE_PUSH: Final = "push"
CONF_PARITY: Final = "parity"
CONF_PUSH_PRESET: Final = "push_preset"  # form field only
PUSH_PRESET_CUSTOM: Final = "custom"
CONF_FRAMING: Final = "framing"  # the framing the flow found (None: find it again)
CONF_SENSORS: Final = "sensors"  # [{"key", "obis", "position", "unit", "scaler", "name"}, ...]
CONF_SENSOR_KEYS: Final = "sensor_keys"  # form field only
# Options of push entries: seconds of silence before the values are unavailable (0: three
# missed push intervals, at least 30 s) and the shortest time between entity updates.
CONF_SILENCE: Final = "silence"
CONF_MIN_UPDATE_INTERVAL: Final = "min_update_interval"
PUSH_BAUDRATE: Final = 2400
PARITIES: Final = ["none", "even", "odd"]
PARITY_LETTERS: Final = {"none": "N", "even": "E", "odd": "O"}
# How long the flow listens for the meter's first notification.
LISTEN_SECONDS: Final = 30.0
