//! CPS (professional) and Vitale cards over PC/SC: ATR, APDUs, PIN, certificates, signing.
