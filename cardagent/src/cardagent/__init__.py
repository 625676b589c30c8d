"""客户端控件: the program an enterprise runs on its own PC so the portal can use its e-port card.

It opens one card file, listens on 127.0.0.1 only, and answers the e-port control's JSON protocol
(see protocol.py). The portal never sees the PIN or the private key: it gets the card's certificate
and signatures.
"""
__version__ = "0.1.0"
