"""Account e-mail: address verification and password recovery through single-use mailed links.

A part of the auth module (it revokes sessions and gates sign-in), kept in its own package:
tokens (`models`, `tokens`), what is mailed (`mails`), the flows (`service`), the background
tasks that send the mail (`tasks`) and their endpoints (`router`).
"""
