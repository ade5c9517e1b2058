//! Ordonnance numérique QR codes, 2D-Doc (ANTS) and keyboard-wedge scanner input.
