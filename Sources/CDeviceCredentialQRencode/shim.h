// libqrencode (Debian's libqrencode-dev): the hosted sign-in page draws a QR-code challenge's id as a QR
// image with it, instead of an encoder of our own.
#ifndef C_DEVICE_CREDENTIAL_QRENCODE_SHIM_H
#define C_DEVICE_CREDENTIAL_QRENCODE_SHIM_H

#include <qrencode.h>

#endif
