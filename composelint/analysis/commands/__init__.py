"""Commands read the way a shell reads them: the one shell parser, its position maps and the command tables.

* :mod:`.words` splits a string into words as Compose does (no imports of the model: the compose parser
  uses it, and parsers sit below analysis);
* :mod:`.syntax` parses a script into simple commands whose words keep their offsets; :mod:`.maps` maps
  those offsets to file positions (continuation lines, heredocs, JSON escapes, nested ``sh -c``);
* :mod:`.tables` holds the tables every reader of commands shares (shells, wrappers, package managers);
* :mod:`.start` follows effective start commands to the programs that run; :mod:`.installs` and
  :mod:`.operands` say what a command installs and which files it runs.

This module imports nothing, so importing :mod:`.words` stays free of the model.
"""
