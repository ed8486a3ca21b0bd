#!/usr/bin/env python3
"""Cross-check of the sandbox with python-telegram-bot, an independent Bot API client.

Run by `ptb.rs` (the Rust integration test), which starts a sandbox, creates the bot, makes the
user send `/start ptb` and stores a file, then calls:

    python3 ptb_check.py BASE_URL BASE_FILE_URL TOKEN BOT_USERNAME USER_ID FILE_ID FILE_TEXT

BASE_URL and BASE_FILE_URL are python-telegram-bot's `base_url` and `base_file_url` (the token is
appended to them). Any disagreement raises; success prints one line starting with `ptb-check ok`.
"""

import asyncio
import sys

import telegram
from telegram import Bot


async def check(base_url, base_file_url, token, username, user_id, file_id, file_text):
    async with Bot(token, base_url=base_url, base_file_url=base_file_url) as bot:
        me = await bot.get_me()
        assert me.is_bot and me.username == username, me
        assert me.id == int(token.split(":")[0]), me

        updates = await bot.get_updates(timeout=0)
        assert len(updates) == 1, updates
        update = updates[0]
        message = update.message
        assert message.text == "/start ptb", message
        assert message.chat.type == "private" and message.chat.id == user_id, message
        assert message.from_user.id == user_id, message
        entities = message.parse_entities()
        assert [entity.type for entity in entities] == ["bot_command"], entities
        assert list(entities.values()) == ["/start"], entities

        sent = await bot.send_message(chat_id=user_id, text="hello from ptb")
        assert sent.text == "hello from ptb" and sent.chat.id == user_id, sent
        assert sent.from_user.id == me.id, sent

        # An inline keyboard comes back on the message; an edit replaces text and keyboard.
        keyboard = telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Yes", callback_data="yes")]]
        )
        asked = await bot.send_message(chat_id=user_id, text="Link?", reply_markup=keyboard)
        assert asked.reply_markup == keyboard, asked
        edited = await bot.edit_message_text(
            chat_id=user_id, message_id=asked.message_id, text="edited by ptb"
        )
        assert edited.text == "edited by ptb" and edited.edit_date is not None, edited
        assert edited.reply_markup is None, edited
        try:
            await bot.edit_message_text(
                chat_id=user_id, message_id=asked.message_id, text="edited by ptb"
            )
            raise AssertionError("an edit that changes nothing succeeded")
        except telegram.error.BadRequest as error:
            assert error.message.lower().startswith("message is not modified"), error.message

        chat = await bot.get_chat(user_id)
        assert chat.id == user_id and chat.type == "private", chat
        assert chat.first_name == "Alice" and chat.username == "alice", chat
        assert chat.max_reaction_count == 11, chat

        try:
            await bot.answer_callback_query("no-such-query")
            raise AssertionError("answering an unknown callback query succeeded")
        except telegram.error.BadRequest as error:
            assert error.message.lower().startswith("query is too old"), error.message

        # Confirming the update leaves the queue empty; the long poll then times out empty.
        assert await bot.get_updates(offset=update.update_id + 1, timeout=1) == ()

        try:
            await bot.send_message(chat_id=999999999, text="nobody")
            raise AssertionError("sending to an unknown chat succeeded")
        except telegram.error.BadRequest as error:
            assert error.message == "Chat not found", error.message

        file = await bot.get_file(file_id)
        assert file.file_size == len(file_text.encode()), file
        data = await file.download_as_bytearray()
        assert bytes(data) == file_text.encode(), data

        print(f"ptb-check ok: python-telegram-bot {telegram.__version__}, update {update.update_id}")


def main():
    base_url, base_file_url, token, username, user_id, file_id, file_text = sys.argv[1:8]
    asyncio.run(check(base_url, base_file_url, token, username, int(user_id), file_id, file_text))


if __name__ == "__main__":
    main()
