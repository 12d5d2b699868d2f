# A copy of the bot's role that sees public issues only ("Issues visibility: All non
# private issues"); prints its id.
bot = Role.find_by!(name: 'Sync bot')
role = Role.find_or_initialize_by(name: 'Sync bot (public issues only)')
role.permissions = bot.permissions
role.issues_visibility = 'default'
role.save!
puts role.id
